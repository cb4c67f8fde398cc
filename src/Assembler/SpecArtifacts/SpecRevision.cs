using OrasAssemble.Oci;

namespace OrasAssemble.SpecArtifacts;

/// <summary>One revision of a spec artifact, as its manifest summarises it.</summary>
/// <param name="Descriptor">The revision's manifest.</param>
/// <param name="Base">The base image pinned by digest (<c>land.oras.assemble.base</c>), else <c>base.image</c> from the spec; null without a base.</param>
/// <param name="Created">Its <c>org.opencontainers.image.created</c> annotation, as written; null when missing.</param>
/// <param name="Subject">The revision it was made from; null for a first push.</param>
public sealed record SpecRevision(Descriptor Descriptor, string? Base, string? Created, Descriptor? Subject);
