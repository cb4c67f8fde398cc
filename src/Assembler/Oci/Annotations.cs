namespace OrasAssemble.Oci;

/// <summary>Annotation keys with a meaning fixed by the OCI image spec or by ORAS.</summary>
public static class Annotations
{
    public const string Title = "org.opencontainers.image.title";
    public const string Created = "org.opencontainers.image.created";
    public const string RefName = "org.opencontainers.image.ref.name";

    /// <summary>ORAS marks a layer that is a packed directory (tar+gzip) with this key set to "true".</summary>
    public const string Unpack = "io.deis.oras.content.unpack";

    /// <summary>ORAS records the digest of the uncompressed tar of a packed directory here.</summary>
    public const string UnpackDigest = "io.deis.oras.content.digest";
}
