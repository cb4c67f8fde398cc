using System.Diagnostics;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// Each entry under a directory as find(1) reports it from lstat: kind, uid:gid, octal mode and whole seconds of its
/// modification time, a link's own. Read by another program, so it does not take the library's word for it.
/// </summary>
internal static class OwnerSnapshot
{
    public static SortedDictionary<string, string> Take(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Find(root, "-mindepth", "1", "-printf", "%P\t%y %U:%G %m %T@\n"))
        {
            var (path, facts) = (line[..line.IndexOf('\t', StringComparison.Ordinal)], line[(line.IndexOf('\t', StringComparison.Ordinal) + 1)..]);
            result[path] = facts[..facts.LastIndexOf('.')];
        }

        return result;
    }

    /// <summary>One entry: kind, uid:gid, octal mode and whole seconds.</summary>
    public static string Of(string path)
    {
        var line = Find(path, "-maxdepth", "0", "-printf", "%y %U:%G %m %T@\n").Single();
        return line[..line.LastIndexOf('.')];
    }

    public static long Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private static List<string> Find(string root, params string[] arguments)
    {
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(root);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
