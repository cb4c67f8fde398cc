namespace OrasAssemble.CsiNode.Publishing;

/// <summary>A volume's content, ready in the cache to be mounted.</summary>
/// <param name="Source">What was asked for: the reference, or "inline spec".</param>
/// <param name="Digest">The manifest digest the reference resolved to; null for an inline spec.</param>
/// <param name="Built">Whether this preparation built the tree (a cache miss) rather than found it.</param>
internal sealed record PreparedTree(string Key, string Path, string Source, string? Digest, bool Built);
