namespace OrasAssemble.Cli;

/// <summary>The values of the global flags for one invocation.</summary>
internal sealed record GlobalSettings(
    bool PlainHttp,
    bool Insecure,
    string? RegistryConfigPath,
    string? HostConfigPath,
    bool OciLayout,
    string? StorePath,
    bool Verbose);
