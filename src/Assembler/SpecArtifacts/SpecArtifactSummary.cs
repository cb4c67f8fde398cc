namespace OrasAssemble.SpecArtifacts;

/// <summary>What a spec artifact says of where its tree goes, from its manifest's annotations or else its spec layer.</summary>
/// <param name="BaseImage">
/// The base image: pinned by digest when the manifest's annotation gives it, as the spec's <c>base.image</c> writes it
/// (perhaps a tag) when only the layer does; null when the spec has no base.
/// </param>
/// <param name="MountPath">The spec's mount path, or null when the spec has no mount.</param>
public sealed record SpecArtifactSummary(string? BaseImage, string? MountPath);
