using OrasAssemble.IO;

namespace OrasAssemble.Cache;

/// <summary>
/// Keeping the cache within a budget: first trees nobody uses that have been idle for a while, least recently used
/// first, then blobs no remaining tree links to, oldest first. Each removal happens under the locks builds and users
/// hold (<see cref="TryRemoveTree"/>, <see cref="RemoveUnlinkedBlobs"/>), so a tree being built or held, and the blobs
/// a build may be about to use, are left alone.
/// </summary>
public sealed partial class TreeCache
{
    private readonly Lock _collecting = new();

    /// <summary>Measures the cache and, when it is over the budget, trims it.</summary>
    public CollectionResult Collect(CollectionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_collecting)
        {
            var before = MeasureDiskBytes();
            if (request.Budget is not { } budget || before <= budget)
            {
                return new CollectionResult(before, before, [], 0, 0);
            }

            var cutoff = (request.Now ?? DateTimeOffset.UtcNow) - request.MinIdle;
            var inUse = request.TreesInUse ?? (() => new HashSet<string>());
            var size = before;
            var removed = new List<(string Key, long Bytes)>();
            var inUseNow = inUse();
            var idle = Directory.EnumerateDirectories(TreesDirectory)
                .Select(path => (Key: Path.GetFileName(path), Path: path))
                .Where(t => IsKey(t.Key) && !inUseNow.Contains(t.Key))
                .Select(t => (t.Key, Used: Ledger.LastUsed(t.Key) ?? Directory.GetLastWriteTimeUtc(t.Path)))
                .Where(t => t.Used < cutoff)
                .OrderBy(t => t.Used)
                .ToList();
            foreach (var tree in idle)
            {
                if (size <= budget)
                {
                    break;
                }

                // Asked again under the cache's locks: a caller may have begun to use the tree since the list was made.
                if (TryRemoveTree(tree.Key, () => !inUse().Contains(tree.Key) && (Ledger.LastUsed(tree.Key) ?? DateTimeOffset.MinValue) < cutoff) is not { } freed)
                {
                    continue;
                }

                Ledger.Forget(tree.Key);
                size -= freed;
                removed.Add((tree.Key, freed));
            }

            var (blobs, blobBytes) = size > budget ? RemoveUnlinkedBlobs(cutoff.UtcDateTime, size - budget) : (0, 0L);
            return new CollectionResult(before, size - blobBytes, removed, blobs, blobBytes);
        }
    }

    /// <summary>How many trees and blobs the cache holds and their disk bytes.</summary>
    public CacheUsage MeasureUsage()
    {
        var trees = Directory.EnumerateDirectories(TreesDirectory).Count(path => IsKey(Path.GetFileName(path)));
        var blobs = Directory.Exists(Blobs.BlobsDirectory) ? Directory.EnumerateFiles(Blobs.BlobsDirectory, "*", SearchOption.AllDirectories).Count() : 0;
        var blobBytes = DiskUsage.DistinctBytes([Blobs.BlobsDirectory]);
        return new CacheUsage(trees, blobs, blobBytes, MeasureDiskBytes() - blobBytes);
    }
}
