using System.Diagnostics;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>Runs the other programs tests need (build scripts, jlink, tar, podman) and returns what they print.</summary>
internal static class Programs
{
    public static Task<string> RunAsync(string program, params string[] args) => RunAsync(program, args, null, check: true);

    /// <param name="check">Fail the test, with the program's error output, when it exits non-zero.</param>
    public static async Task<string> RunAsync(string program, string[] args, IReadOnlyDictionary<string, string>? environment, bool check)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check)
        {
            Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {await errors}");
        }

        return await output;
    }
}
