namespace OrasAssemble.Oci;

/// <summary>An index has no manifest for the platform asked for.</summary>
public sealed class PlatformNotFoundException(Platform platform, string offered)
    : Exception($"no manifest for platform {platform} in the index (it offers: {offered})")
{
    public Platform Platform { get; } = platform;
}
