namespace OrasAssemble.Registry.Remote;

/// <summary>How to reach one registry host: over plain HTTP, or over TLS without verifying the certificate.</summary>
public sealed record EndpointSettings(bool PlainHttp = false, bool Insecure = false)
{
    public static EndpointSettings Default { get; } = new();
}
