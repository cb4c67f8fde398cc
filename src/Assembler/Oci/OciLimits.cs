namespace OrasAssemble.Oci;

/// <summary>Caps that hold for OCI content wherever it is read: a registry, an image layout, memory.</summary>
public static class OciLimits
{
    /// <summary>
    /// The largest manifest or index read or accepted, since its bytes are parsed in memory. Distribution refuses
    /// larger manifests, so nothing a registry serves is lost to it.
    /// </summary>
    public const long MaxManifestBytes = 4 * 1024 * 1024;
}
