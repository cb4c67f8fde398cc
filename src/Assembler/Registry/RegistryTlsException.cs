namespace OrasAssemble.Registry;

/// <summary>
/// A registry reached over HTTPS did not complete a TLS handshake: it may speak plain HTTP, or present a certificate
/// that is not trusted. The message names the host and the handshake's own reason. An
/// <see cref="HttpRequestException"/>, so whoever treats unreachable registries alike still does.
/// </summary>
public sealed class RegistryTlsException(string registry, string reason, Exception? inner = null)
    : HttpRequestException($"{registry} did not answer over HTTPS ({reason.TrimEnd('.')})", inner)
{
    /// <summary>The host (and port) as the request named it.</summary>
    public string Registry { get; } = registry;
}
