using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace OrasAssemble.Tests.Execution;

/// <summary>What a directory tree holds, as a user listing it would see it: type, mode, content or link target.</summary>
[UnsupportedOSPlatform("windows")]
internal static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(string root, bool times = false)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(root, "", result, times);
        return result;
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    private static void Walk(string root, string relative, SortedDictionary<string, string> result, bool times)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(Path.Join(root, relative)))
        {
            var path = relative.Length == 0 ? Path.GetFileName(full) : relative + "/" + Path.GetFileName(full);
            var info = new FileInfo(full);
            var time = times ? $" @{File.GetLastWriteTimeUtc(full):yyyy-MM-ddTHH:mm:ss}" : "";
            if (info.LinkTarget is { } target)
            {
                result[path] = $"link -> {target}{time}";
            }
            else if (Directory.Exists(full))
            {
                result[path] = $"dir {Octal(File.GetUnixFileMode(full))}{time}";
                Walk(root, path, result, times);
            }
            else
            {
                var bytes = File.ReadAllBytes(full);
                var content = bytes.Length <= 64 ? Encoding.UTF8.GetString(bytes) : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
                result[path] = $"file {Octal(File.GetUnixFileMode(full))} {content}{time}";
            }
        }
    }
}
