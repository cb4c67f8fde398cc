using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace OrasAssemble.Tests.Containers;

/// <summary>One run of an external program (a build script, umoci, podman) with its exit code and what it printed.</summary>
internal sealed record ProgramRun(string CommandLine, int ExitCode, string Output)
{
    /// <summary>
    /// Runs <paramref name="program"/> to its end, or kills it (and its children) after <paramref name="timeout"/>;
    /// <paramref name="environment"/> is added to this process's environment.
    /// </summary>
    /// <exception cref="InvalidOperationException">The program cannot be started or did not end in time.</exception>
    public static async Task<ProgramRun> RunAsync(
        string program, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var commandLine = string.Join(' ', [program, .. arguments]);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run '{program}' ({e.Message}); scripts/install-test-deps.sh installs what the tests need.", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0} s. It printed:\n{Text(output)}");
        }

        // The parameterless wait also drains the redirected output.
        process.WaitForExit();
        return new ProgramRun(commandLine, process.ExitCode, Text(output));
    }

    /// <summary>The last <paramref name="lines"/> lines of the output, for an error message.</summary>
    public string Tail(int lines = 40) => string.Join('\n', Output.Split('\n').TakeLast(lines));

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
