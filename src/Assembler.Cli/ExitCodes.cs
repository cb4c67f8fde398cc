namespace OrasAssemble.Cli;

/// <summary>The process exit codes the CLI documents (README, "CLI").</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Registry, network, content or file system failures: anything that is not the caller's input.</summary>
    public const int Failure = 1;

    /// <summary>Invalid input: a bad reference, bad flags, a missing file, an invalid config or spec, a rebase onto a base for another platform.</summary>
    public const int InvalidInput = 2;

    /// <summary>Interrupted (Ctrl+C or SIGTERM), as shells report a process ended by SIGINT.</summary>
    public const int Interrupted = 130;
}
