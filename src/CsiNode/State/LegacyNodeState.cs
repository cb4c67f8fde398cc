using OrasAssemble.Cache;

namespace OrasAssemble.CsiNode.State;

/// <summary>
/// What a node wrote before the cache kept its own pin table and ledger: reference pins in <c>node/references/</c> and
/// each tree's sources and last use in <c>node/trees/</c>. Their files have the names and contents the cache's table
/// and ledger use, so moving them over keeps what the node pinned and when it last used each tree.
/// </summary>
internal static class LegacyNodeState
{
    public static void MoveInto(TreeCache cache, string state)
    {
        Move(Path.Combine(state, "references"), cache.Pins.Directory);
        Move(Path.Combine(state, "trees"), cache.Ledger.Directory);
    }

    private static void Move(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(from))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                File.Delete(file);
                continue;
            }

            // What the cache already holds is newer than what an older node left.
            var target = Path.Combine(to, name);
            if (File.Exists(target))
            {
                File.Delete(file);
            }
            else
            {
                File.Move(file, target);
            }
        }

        Directory.Delete(from);
    }
}
