using OrasAssemble.Oci;

namespace OrasAssemble.Artifacts;

/// <summary>A predecessor named by <c>subject</c> that could not be followed, and why.</summary>
public sealed record SpecLineageEnd(Descriptor Subject, string Problem);
