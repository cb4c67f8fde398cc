namespace OrasAssemble.CsiNode.Publishing;

/// <summary>How a publish went: the tree now mounted and whether this call mounted it (false: it already was).</summary>
internal sealed record PublishResult(string TreeKey, string Source, string? Digest, bool Mounted, bool CacheHit);
