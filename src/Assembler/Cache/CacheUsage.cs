namespace OrasAssemble.Cache;

/// <summary>What a cache holds on disk, each inode counted once.</summary>
/// <param name="BlobBytes">Disk bytes of the blobs.</param>
/// <param name="TreeBytes">Disk bytes of the trees beyond what they share with blobs (a tree's file is often a blob's hard link).</param>
public sealed record CacheUsage(int Trees, int Blobs, long BlobBytes, long TreeBytes)
{
    public long TotalBytes => BlobBytes + TreeBytes;
}
