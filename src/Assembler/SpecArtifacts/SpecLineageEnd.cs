using OrasAssemble.Oci;

namespace OrasAssemble.SpecArtifacts;

/// <summary>A predecessor named by <c>subject</c> that could not be followed, and why.</summary>
public sealed record SpecLineageEnd(Descriptor Subject, string Problem);
