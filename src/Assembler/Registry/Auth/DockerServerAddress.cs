namespace OrasAssemble.Registry.Auth;

/// <summary>
/// Maps between registry host names and the keys docker uses for them in <c>config.json</c> and with
/// credential helpers. Docker Hub is the odd one: its key is the legacy <c>https://index.docker.io/v1/</c>.
/// </summary>
internal static class DockerServerAddress
{
    public const string DockerHub = "docker.io";
    public const string DockerHubServerAddress = "https://index.docker.io/v1/";

    /// <summary>
    /// The registry a config key or registry name refers to: scheme and path removed, lower case,
    /// Docker Hub's several host names folded into <c>docker.io</c>.
    /// </summary>
    public static string Canonical(string keyOrRegistry)
    {
        var host = keyOrRegistry.Trim();
        if (host.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            host = host["https://".Length..];
        }
        else if (host.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            host = host["http://".Length..];
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" ? DockerHub : host;
    }

    /// <summary>The key docker writes for a registry and passes to credential helpers.</summary>
    public static string ForRegistry(string registry)
    {
        var canonical = Canonical(registry);
        return canonical == DockerHub ? DockerHubServerAddress : canonical;
    }

    public static string RequireRegistry(string registry, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(registry, parameterName);
        var canonical = Canonical(registry);
        if (canonical.Length == 0)
        {
            throw new ArgumentException("a registry host name is required", parameterName);
        }

        return canonical;
    }
}
