namespace OrasAssemble.Layers;

/// <summary>
/// Resolves paths through the symbolic links already inside a tree, the way container runtimes place layer entries
/// (containerd's and umoci's scoped resolution): a link met on the way is followed, so a layer's <c>bin/x</c> over a
/// lower layer's <c>bin -> usr/bin</c> lands at <c>usr/bin/x</c>. Resolution never leaves the tree (or the directory
/// a writer is confined to): a link that would lead out of it is refused, not clamped. Only what the tree holds is
/// read; nothing outside it is ever looked at.
/// </summary>
internal static class InTreeLinks
{
    /// <summary>Links followed for one path at most, as Linux's MAXSYMLINKS.</summary>
    public const int MaxLinks = 40;

    /// <summary>Where <paramref name="components"/> really lie, following links among all of them.</summary>
    /// <param name="root">The tree, a full path.</param>
    /// <param name="floor">How many leading components resolution must keep (the confining directory's depth).</param>
    /// <param name="within">Names the confining directory, for the reason.</param>
    /// <returns>The components of the real path, or null with the reason in <paramref name="problem"/>.</returns>
    /// <param name="probe">What is at a path relative to <paramref name="root"/>, a link seen as a link; lstat when not given.</param>
    public static string[]? Resolve(
        string root, IEnumerable<string> components, int floor, string within, out string problem, Func<string, EntryKind>? probe = null)
    {
        var resolved = new List<string>();
        var pending = new Stack<string>(components.Reverse());
        var links = 0;
        while (pending.TryPop(out var name))
        {
            if (name is "" or ".")
            {
                continue;
            }

            if (name == "..")
            {
                if (resolved.Count <= floor)
                {
                    problem = $"a symbolic link on its way leads out of {within}";
                    return null;
                }

                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }

            resolved.Add(name);
            var relative = string.Join('/', resolved);
            var full = Path.Join(root, relative);
            if ((probe?.Invoke(relative) ?? DiskEntry.Probe(full)) != EntryKind.Symlink)
            {
                // A directory is walked into; whatever else it is (missing, a file), the caller decides.
                continue;
            }

            if (++links > MaxLinks)
            {
                problem = $"more than {MaxLinks} symbolic links on its way";
                return null;
            }

            var target = new FileInfo(full).LinkTarget ?? "";
            var link = string.Join('/', resolved);
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/'))
            {
                // Trees store relative links only; an absolute one would mean the host's root.
                problem = $"the symbolic link \"{LayerException.Printable(link)}\" on its way is absolute";
                return null;
            }

            foreach (var part in target.Split('/').Reverse())
            {
                pending.Push(part);
            }
        }

        problem = "";
        return [.. resolved];
    }

    /// <summary>Where an entry at <paramref name="components"/> lands: its parents followed through links, its own name kept.</summary>
    public static string[]? ResolveParents(
        string root, string[] components, int floor, string within, out string problem, Func<string, EntryKind>? probe = null)
    {
        if (components.Length == 0)
        {
            problem = "";
            return [];
        }

        return Resolve(root, components[..^1], floor, within, out problem, probe) is { } parents ? [.. parents, components[^1]] : null;
    }
}
