using OrasAssemble.Oci;

namespace OrasAssemble.SpecArtifacts;

/// <summary>A new spec revision made by <see cref="SpecRebaser"/>, ready to push.</summary>
/// <param name="Artifact">The new revision; its manifest's <c>subject</c> is the previous revision.</param>
/// <param name="PinnedBase">The new base, pinned by digest, as in the <c>land.oras.assemble.base</c> annotation.</param>
/// <param name="CheckedPlatforms">The platforms the new base was checked to provide (none when forced or nothing to check).</param>
public sealed record RebasedSpec(SpecArtifactContent Artifact, string PinnedBase, IReadOnlyList<Platform> CheckedPlatforms);
