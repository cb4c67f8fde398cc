using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>
/// Compares a tree with a reference extraction of the same image entry by entry, as lstat sees them: type, content
/// (SHA-256), permission bits, owner, modification time (to the nanosecond), link target, device numbers, and which
/// paths share an inode (hard-link groups, counted within each tree). The roots themselves are not compared.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class TreeComparison
{
    private const int SetuidSetgid = 0xC00; // S_ISUID | S_ISGID

    /// <summary>Every difference not covered by <paramref name="exceptions"/>, in path order.</summary>
    public static IReadOnlyList<TreeDifference> Compare(string reference, string tree, TreeComparisonExceptions exceptions)
    {
        ArgumentNullException.ThrowIfNull(exceptions);
        var expected = Scan(reference);
        var actual = Scan(tree);
        var expectedGroups = HardLinkGroups(expected);
        var actualGroups = HardLinkGroups(actual);
        var differences = new List<TreeDifference>();

        foreach (var (path, want) in expected)
        {
            if (!actual.TryGetValue(path, out var have))
            {
                if (!(want.Status.IsSpecial && exceptions.SpecialFilesSkipped))
                {
                    differences.Add(new(path, $"missing from the tree (reference: {Describe(want)})"));
                }

                continue;
            }

            if (want.Status.IsSpecial && exceptions.SpecialFilesSkipped)
            {
                differences.Add(new(path, $"should have been skipped (reference: {Describe(want)}, tree: {Describe(have)})"));
                continue;
            }

            CompareEntry(path, want, have, exceptions, differences);
            if (want.Status.Type == EntryType.File && have.Status.Type == EntryType.File)
            {
                var wantGroup = expectedGroups[want.Status.Inode];
                var haveGroup = actualGroups[have.Status.Inode];
                if (!wantGroup.SequenceEqual(haveGroup, StringComparer.Ordinal))
                {
                    differences.Add(new(path, $"hard links: in the reference one inode with [{Others(wantGroup, path)}], in the tree with [{Others(haveGroup, path)}]"));
                }
            }
        }

        foreach (var (path, have) in actual)
        {
            if (!expected.ContainsKey(path))
            {
                differences.Add(new(path, $"not in the reference (tree: {Describe(have)})"));
            }
        }

        differences.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return differences;
    }

    /// <summary>A message for a failed assertion: how many differences, and the first <paramref name="shown"/> of them.</summary>
    public static string Describe(IReadOnlyList<TreeDifference> differences, int shown = 50)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var text = new StringBuilder($"{differences.Count} difference(s) from the reference extraction");
        foreach (var difference in differences.Take(shown))
        {
            text.Append("\n  ").Append(difference);
        }

        if (differences.Count > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  ... and {differences.Count - shown} more");
        }

        return text.ToString();
    }

    /// <summary>The relative target that names, from a link at <paramref name="linkPath"/>, what the absolute <paramref name="target"/> names inside the tree.</summary>
    public static string RelativeTarget(string linkPath, string target)
    {
        ArgumentNullException.ThrowIfNull(linkPath);
        ArgumentNullException.ThrowIfNull(target);
        var depth = linkPath.Count(c => c == '/');
        var parts = target.Split('/').Where(p => p is not ("" or "."));
        var relative = string.Join('/', Enumerable.Repeat("..", depth).Concat(parts));
        return relative.Length == 0 ? "." : relative;
    }

    private static void CompareEntry(string path, Entry want, Entry have, TreeComparisonExceptions exceptions, List<TreeDifference> differences)
    {
        var (w, h) = (want.Status, have.Status);
        if (w.Type != h.Type)
        {
            differences.Add(new(path, $"type: reference {Describe(want)}, tree {Describe(have)}"));
            return;
        }

        switch (w.Type)
        {
            case EntryType.File when w.Size != h.Size:
                differences.Add(new(path, $"size: reference {w.Size} bytes, tree {h.Size} bytes"));
                break;
            case EntryType.File when want.ContentHash != have.ContentHash:
                differences.Add(new(path, $"content: reference sha256:{want.ContentHash}, tree sha256:{have.ContentHash}"));
                break;
            case EntryType.Symlink:
                var target = exceptions.AbsoluteLinksRewritten && want.LinkTarget!.StartsWith('/')
                    ? RelativeTarget(path, want.LinkTarget)
                    : want.LinkTarget;
                if (target != have.LinkTarget)
                {
                    differences.Add(new(path, $"link target: reference {Quote(want.LinkTarget!)}{(target == want.LinkTarget ? "" : $" (so {Quote(target!)})")}, tree {Quote(have.LinkTarget!)}"));
                }

                break;
            case EntryType.CharacterDevice or EntryType.BlockDevice when (w.DeviceMajor, w.DeviceMinor) != (h.DeviceMajor, h.DeviceMinor):
                differences.Add(new(path, $"device: reference {w.DeviceMajor}:{w.DeviceMinor}, tree {h.DeviceMajor}:{h.DeviceMinor}"));
                break;
        }

        // A link's own mode is always 0777 on Linux and means nothing.
        if (w.Type != EntryType.Symlink)
        {
            var mode = exceptions.SetuidCleared ? w.Permissions & ~SetuidSetgid : w.Permissions;
            if (mode != h.Permissions)
            {
                var cleared = mode == w.Permissions ? "" : $" (so {Octal(mode)} without setuid/setgid)";
                differences.Add(new(path, $"mode: reference {Octal(w.Permissions)}{cleared}, tree {Octal(h.Permissions)}"));
            }
        }

        if (!exceptions.OwnersIgnored && (w.Uid, w.Gid) != (h.Uid, h.Gid))
        {
            differences.Add(new(path, $"owner: reference {w.Uid}:{w.Gid}, tree {h.Uid}:{h.Gid}"));
        }

        if (!exceptions.MtimesIgnored && (w.MtimeSeconds, w.MtimeNanoseconds) != (h.MtimeSeconds, h.MtimeNanoseconds))
        {
            differences.Add(new(path, $"mtime: reference {Time(w)}, tree {Time(h)}"));
        }
    }

    private static SortedDictionary<string, Entry> Scan(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"no tree to compare at {root}");
        }

        var entries = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var full in Directory.EnumerateFileSystemEntries(directory.Length == 0 ? root : Path.Join(root, directory)))
            {
                var path = directory.Length == 0 ? Path.GetFileName(full) : directory + "/" + Path.GetFileName(full);
                var status = EntryStatus.Read(full);
                entries[path] = status.Type switch
                {
                    EntryType.Directory => new Entry(status, null, null),
                    EntryType.Symlink => new Entry(status, new FileInfo(full).LinkTarget, null),
                    EntryType.File => new Entry(status, null, Hash(full)),
                    _ => new Entry(status, null, null),
                };
                if (status.Type == EntryType.Directory)
                {
                    pending.Push(path);
                }
            }
        }

        return entries;
    }

    // Paths of each regular file's inode within one tree, sorted; links to outside the tree (a blob store) do not count.
    private static Dictionary<ulong, List<string>> HardLinkGroups(SortedDictionary<string, Entry> entries)
    {
        var groups = new Dictionary<ulong, List<string>>();
        foreach (var (path, entry) in entries.Where(e => e.Value.Status.Type == EntryType.File))
        {
            if (!groups.TryGetValue(entry.Status.Inode, out var group))
            {
                groups[entry.Status.Inode] = group = [];
            }

            group.Add(path);
        }

        return groups;
    }

    private static string Others(List<string> group, string path) => string.Join(", ", group.Where(p => p != path));

    private static string Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Describe(Entry entry) => entry.Status.Type switch
    {
        EntryType.File => $"file {Octal(entry.Status.Permissions)} {entry.Status.Size} bytes",
        EntryType.Directory => $"directory {Octal(entry.Status.Permissions)}",
        EntryType.Symlink => $"link -> {Quote(entry.LinkTarget!)}",
        EntryType.CharacterDevice => $"character device {entry.Status.DeviceMajor}:{entry.Status.DeviceMinor}",
        EntryType.BlockDevice => $"block device {entry.Status.DeviceMajor}:{entry.Status.DeviceMinor}",
        EntryType.Fifo => "FIFO",
        _ => "socket",
    };

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    private static string Quote(string text) => "\"" + text + "\"";

    private static string Time(EntryStatus status) =>
        DateTimeOffset.FromUnixTimeSeconds(status.MtimeSeconds).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)
        + "." + status.MtimeNanoseconds.ToString("D9", CultureInfo.InvariantCulture) + "Z";

    private sealed record Entry(EntryStatus Status, string? LinkTarget, string? ContentHash);
}
