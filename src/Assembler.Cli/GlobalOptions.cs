using System.CommandLine;

namespace OrasAssemble.Cli;

/// <summary>The flags every verb takes, ORAS's names where ORAS has one. They may stand before or after the verb.</summary>
internal sealed class GlobalOptions
{
    public Option<bool> PlainHttp { get; } = new("--plain-http")
    {
        Description = "Talk plain HTTP to every registry (on top of the host settings file)",
        Recursive = true,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "Use HTTPS without verifying certificates, for every registry",
        Recursive = true,
    };

    public Option<string?> RegistryConfig { get; } = new("--registry-config")
    {
        Description = "Docker config.json holding registry credentials (default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json)",
        HelpName = "config.json",
        Recursive = true,
    };

    public Option<string?> HostConfig { get; } = new("--config")
    {
        Description = "Host settings file (YAML) with per-registry plainHttp, insecure and mirrors; see docs/host-config.md",
        HelpName = "file.yaml",
        Recursive = true,
    };

    public Option<bool> OciLayout { get; } = new("--oci-layout")
    {
        Description = "References name an OCI image layout directory instead of a registry: <dir>[:<tag>] or <dir>@<digest>",
        Recursive = true,
    };

    public Option<string?> Store { get; } = new("--store")
    {
        Description = "Read and write every reference (arguments and those inside specs) in this OCI image layout instead of "
            + "registries, tagged by the full reference (registry/repository:tag); created when first written to",
        HelpName = "dir",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On failure, also print the exception's details and stack",
        Recursive = true,
    };

    public IEnumerable<Option> All => [PlainHttp, Insecure, RegistryConfig, HostConfig, OciLayout, Store, Verbose];

    public GlobalSettings Read(ParseResult parseResult) => new(
        parseResult.GetValue(PlainHttp),
        parseResult.GetValue(Insecure),
        parseResult.GetValue(RegistryConfig),
        parseResult.GetValue(HostConfig),
        parseResult.GetValue(OciLayout),
        parseResult.GetValue(Store),
        parseResult.GetValue(Verbose));
}
