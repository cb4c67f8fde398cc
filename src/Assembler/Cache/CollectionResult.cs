namespace OrasAssemble.Cache;

/// <summary>What a collection removed, and the cache's disk bytes before and after.</summary>
/// <param name="Trees">The trees removed, least recently used first, with the disk bytes each freed.</param>
public sealed record CollectionResult(
    long SizeBefore, long SizeAfter, IReadOnlyList<(string Key, long Bytes)> Trees, int Blobs, long BlobBytes);
