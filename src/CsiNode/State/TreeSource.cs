namespace OrasAssemble.CsiNode.State;

/// <summary>A source a cached tree was built from: the repository and the manifest digest read.</summary>
internal sealed record TreeSource(string Reference, string ManifestDigest);
