using System.Net;
using OrasAssemble.CsiNode.Transport;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Configuration;

/// <summary>What the plugin is started with: its command-line flags, and the config file they name, read and checked.</summary>
internal sealed record NodeOptions
{
    public const string DefaultDriverName = "csi.oras.land";

    public required UnixSocketEndpoint Endpoint { get; init; }

    public required string NodeId { get; init; }

    /// <summary>The cache directory; the plugin's own state (publish records) lives below it too.</summary>
    public required string Root { get; init; }

    public string DriverName { get; init; } = DefaultDriverName;

    /// <summary>Where <c>/metrics</c> is served; null serves none.</summary>
    public IPEndPoint? MetricsEndpoint { get; init; }

    /// <summary>A docker <c>config.json</c> whose credentials every volume may use after its own secret's.</summary>
    public string? RegistryConfig { get; init; }

    /// <summary>The API server pods' pull secrets are read from; null uses the in-cluster config.</summary>
    public Uri? ApiServer { get; init; }

    /// <summary>A file holding the bearer token for <see cref="ApiServer"/>.</summary>
    public string? ApiTokenFile { get; init; }

    public NodeConfig Config { get; init; } = NodeConfig.Default;

    public string Version { get; init; } = typeof(NodeOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Every problem with the options, so start-up fails once with all of them rather than one by one.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(NodeId))
        {
            problems.Add("--node-id is empty (and NODE_NAME is not set)");
        }
        else if (NodeId.Length > 256)
        {
            problems.Add("--node-id is longer than the 256 bytes CSI allows");
        }

        if (string.IsNullOrWhiteSpace(Root) || !Path.IsPathRooted(Root))
        {
            problems.Add($"--root {QuotedValue.Of(Root)} must be an absolute directory path");
        }

        if (!IsDriverName(DriverName))
        {
            problems.Add($"--driver-name {QuotedValue.Of(DriverName)} must be a domain name of at most 63 characters, e.g. csi.oras.land");
        }

        if (RegistryConfig is { } registryConfig && !File.Exists(registryConfig))
        {
            problems.Add($"--registry-config {registryConfig}: file not found");
        }

        if (ApiTokenFile is { } tokenFile && !File.Exists(tokenFile))
        {
            problems.Add($"--api-token-file {tokenFile}: file not found");
        }

        if (ApiTokenFile is not null && ApiServer is null)
        {
            problems.Add("--api-token-file is given without --api-server");
        }

        return problems;
    }

    /// <summary><c>host:port</c> with an IP address, e.g. <c>127.0.0.1:9808</c> or <c>[::]:9808</c>; port 0 picks one.</summary>
    public static IPEndPoint? ParseMetricsAddress(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal) ? endpoint : null;

    private static bool IsDriverName(string name) =>
        name.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');
}
