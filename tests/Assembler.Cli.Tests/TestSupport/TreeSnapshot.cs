using System.Security.Cryptography;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>
/// Everything a user would notice about a folder tree: each entry's relative path, kind, permission bits, and a
/// file's bytes (as a hash) or a link's target. Two trees are the same when their snapshots are equal.
/// </summary>
public static class TreeSnapshot
{
    public static IReadOnlyList<string> Of(string root)
    {
        var entries = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path);
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
            {
                entries.Add($"{relative} -> {target}");
            }
            else if (Directory.Exists(path))
            {
                entries.Add($"{relative}/ {Mode(path)}");
            }
            else
            {
                entries.Add($"{relative} {Mode(path)} {info.Length} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))}");
            }
        }

        entries.Sort(StringComparer.Ordinal);
        return entries;
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
