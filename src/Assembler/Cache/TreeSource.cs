namespace OrasAssemble.Cache;

/// <summary>A source a cached tree was built from: the reference as the spec names it and the manifest digest read.</summary>
public sealed record TreeSource(string Reference, string ManifestDigest);
