using OrasAssemble.Oci;
using OrasAssemble.Spec;

namespace OrasAssemble.SpecArtifacts;

/// <summary>A spec artifact: the spec, its manifest and its one layer, each with the exact bytes stored.</summary>
public sealed record SpecArtifactContent(
    ValidSpec Spec,
    Descriptor ManifestDescriptor,
    Manifest Manifest,
    byte[] ManifestBytes,
    Descriptor Layer,
    byte[] LayerBytes);
