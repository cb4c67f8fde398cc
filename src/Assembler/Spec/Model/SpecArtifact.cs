using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Model;

/// <summary>
/// How a spec is stored in a registry: an OCI 1.1 image manifest with this artifact type, the OCI empty
/// config, one layer holding <see cref="SpecJson"/>'s canonical JSON, and annotations that summarise it.
/// </summary>
public static class SpecArtifact
{
    public const string ArtifactType = "application/vnd.oras-assemble.spec.v1";

    public const string LayerMediaType = "application/vnd.oras-assemble.spec.v1+json";

    /// <summary>The layer's title, so <c>oras pull</c> saves it as a file of this name.</summary>
    public const string LayerTitle = "assembly.json";

    /// <summary>Manifest annotation: the base image, pinned by digest (<c>registry/repo:tag@sha256:…</c>).</summary>
    public const string BaseAnnotation = "land.oras.assemble.base";

    /// <summary>Manifest annotation: the spec's mount.path.</summary>
    public const string MountPathAnnotation = "land.oras.assemble.mount-path";
}
