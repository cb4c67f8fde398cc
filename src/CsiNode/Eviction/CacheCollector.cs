using Microsoft.Extensions.Logging;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.State;

namespace OrasAssemble.CsiNode.Eviction;

/// <summary>
/// Keeps the node cache within its budget: first trees no pod mounts that have been idle for a while, least recently
/// used first, then blobs no remaining tree links to, oldest first. A mounted tree is never touched: the publish
/// records say which trees are mounted, and a tree being mounted right now is both in use and freshly touched.
/// </summary>
/// <param name="pulling">Whether a volume is being prepared now; its build may be about to read any cached blob.</param>
internal sealed partial class CacheCollector(
    TreeCache cache, TreeLedger ledger, VolumePublisher publisher, Func<bool> pulling, CacheSettings settings, NodeMetrics metrics,
    TimeProvider time, ILogger<CacheCollector> logger)
{
    private readonly Lock _running = new();

    /// <summary>Measures the cache and, when over budget, trims it. Returns the size afterwards.</summary>
    public long Collect()
    {
        lock (_running)
        {
            var size = Measure();
            if (settings.Budget > 0 && size > settings.Budget)
            {
                var before = size;
                var (trees, blobs) = Trim(ref size);
                LogCollected(logger, before, size, trees, blobs, settings.Budget);
            }

            metrics.SetCacheSize(size);
            return size;
        }
    }

    /// <summary>Runs <see cref="Collect"/> every <see cref="CacheSettings.GcInterval"/> until stopped.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.GcInterval, time);
        do
        {
            try
            {
                Collect();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCollectionFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private (int Trees, int Blobs) Trim(ref long size)
    {
        var cutoff = time.GetUtcNow() - settings.MinIdle;
        var inUse = publisher.TreesInUse();
        var trees = 0;
        var idle = Directory.EnumerateDirectories(cache.TreesDirectory)
            .Select(path => (Key: Path.GetFileName(path), Path: path))
            .Where(t => !inUse.Contains(t.Key))
            .Select(t => (t.Key, t.Path, Used: ledger.LastUsed(t.Key) ?? Directory.GetLastWriteTimeUtc(t.Path)))
            .Where(t => t.Used < cutoff)
            .OrderBy(t => t.Used)
            .ToList();
        foreach (var tree in idle)
        {
            if (size <= settings.Budget)
            {
                break;
            }

            // Moved out of trees/ first, atomically, so a publish either finds the whole tree or none.
            var doomed = Path.Combine(cache.TempDirectory, $"evict-{tree.Key}-{Guid.NewGuid():N}");
            try
            {
                Directory.Move(tree.Path, doomed);
            }
            catch (IOException)
            {
                continue;
            }

            ledger.Forget(tree.Key);
            size -= UniqueBytes(doomed);
            Directory.Delete(doomed, recursive: true);
            trees++;
        }

        var blobs = 0;
        if (size <= settings.Budget || pulling())
        {
            // Blobs wait for a quiet moment: a build in progress may need one no tree links to yet.
            return (trees, blobs);
        }

        var unlinked = Directory.Exists(cache.Blobs.BlobsDirectory)
            ? Directory.EnumerateFiles(cache.Blobs.BlobsDirectory, "*", SearchOption.AllDirectories)
                .Select(path => (Path: path, Info: FileIdentity.Read(path), Written: File.GetLastWriteTimeUtc(path)))
                .Where(b => b.Info is { Links: 1 } && b.Written < cutoff)
                .OrderBy(b => b.Written)
                .ToList()
            : [];
        foreach (var blob in unlinked)
        {
            if (size <= settings.Budget)
            {
                break;
            }

            File.Delete(blob.Path);
            size -= blob.Info!.Value.DiskBytes;
            blobs++;
        }

        return (trees, blobs);
    }

    /// <summary>Disk bytes under the cache, each inode once (tree files are hard links to blobs).</summary>
    private long Measure()
    {
        var seen = new HashSet<ulong>();
        long bytes = 0;
        foreach (var directory in new[] { cache.Blobs.BlobsDirectory, cache.TreesDirectory })
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var path in Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            {
                if (FileIdentity.Read(path) is { } info && seen.Add(info.Inode))
                {
                    bytes += info.DiskBytes;
                }
            }
        }

        return bytes;
    }

    /// <summary>What deleting a tree frees: its entries, except files whose other links (blobs) keep them alive.</summary>
    private static long UniqueBytes(string tree)
    {
        long bytes = 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(tree, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            if (FileIdentity.Read(path) is { } info && (info.IsDirectory || info.Links == 1))
            {
                bytes += info.DiskBytes;
            }
        }

        return bytes;
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "cache was {Before} bytes, over its budget of {Budget}: removed {Trees} idle tree(s) and {Blobs} unlinked blob(s), now {After} bytes")]
    private static partial void LogCollected(ILogger logger, long before, long after, int trees, int blobs, long budget);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "cache collection failed: {Reason}")]
    private static partial void LogCollectionFailed(ILogger logger, string reason);
}
