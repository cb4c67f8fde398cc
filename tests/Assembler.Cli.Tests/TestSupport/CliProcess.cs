using System.Diagnostics;
using System.Reflection;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>
/// Runs the oras-assemble binary this build produced, as a user would: a child process with its own standard
/// streams (redirected, so progress comes as plain lines) and a docker config of its own.
/// </summary>
public static class CliProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly string DllPath = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OrasAssembleCliPath").Value
        ?? throw new InvalidOperationException("the build did not record where oras-assemble.dll is");

    // A docker config no test writes to, so no run picks up credentials of the machine's user.
    private static readonly string IsolatedDockerConfig =
        Path.Combine(Path.GetTempPath(), $"oras-assemble-cli-tests-{Environment.ProcessId}-no-docker-config");

    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    /// <summary>Starts the binary and leaves it running, for tests that interrupt it (standard error is redirected).</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOCKER_CONFIG"] = IsolatedDockerConfig;
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }

    public static Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin, string? workingDirectory = null) =>
        RunAsync(args, stdin, workingDirectory, asNobody: null);

    /// <summary>
    /// Runs the binary as the unprivileged user nobody (65534), through setpriv, with <paramref name="home"/> (which
    /// that user must be able to write) as its home.
    /// </summary>
    public static Task<CliResult> RunAsNobodyAsync(string home, params string[] args) => RunAsync(args, null, home, asNobody: home);

    private static async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin, string? workingDirectory, string? asNobody)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(asNobody is null ? dotnet : "setpriv")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (asNobody is not null)
        {
            foreach (var argument in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", dotnet })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["HOME"] = asNobody;
            start.Environment["DOTNET_CLI_HOME"] = asNobody;
        }

        start.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOCKER_CONFIG"] = IsolatedDockerConfig;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"oras-assemble {string.Join(' ', args)} ran longer than {Timeout.TotalSeconds:0} s.\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
