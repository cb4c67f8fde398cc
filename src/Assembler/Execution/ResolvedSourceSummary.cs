namespace OrasAssemble.Execution;

/// <summary>A source as it was resolved: the manifest digest and the layers read from it.</summary>
public sealed record ResolvedSourceSummary(string Name, string Reference, string ManifestDigest, bool IsImage, IReadOnlyList<string> LayerDigests, long LayerBytes);
