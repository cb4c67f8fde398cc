namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>How one run of the oras-assemble binary ended.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
