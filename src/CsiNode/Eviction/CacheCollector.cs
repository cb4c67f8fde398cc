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
/// records say which trees are mounted, and a tree being mounted right now is both in use and freshly touched. The
/// cache itself removes what this chooses, under the locks its builds hold: a tree being built and the blobs a build
/// may be about to use are left alone.
/// </summary>
internal sealed partial class CacheCollector(
    TreeCache cache, TreeLedger ledger, VolumePublisher publisher, CacheSettings settings, NodeMetrics metrics,
    TimeProvider time, ILogger<CacheCollector> logger)
{
    private readonly Lock _running = new();

    /// <summary>Measures the cache and, when over budget, trims it. Returns the size afterwards.</summary>
    public long Collect()
    {
        lock (_running)
        {
            var size = cache.MeasureDiskBytes();
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

            // Asked again under the cache's locks: a publish may have begun to use the tree since the list was made.
            if (cache.TryRemoveTree(tree.Key, () => !publisher.TreesInUse().Contains(tree.Key) && (ledger.LastUsed(tree.Key) ?? DateTimeOffset.MinValue) < cutoff) is not { } freed)
            {
                continue;
            }

            ledger.Forget(tree.Key);
            size -= freed;
            trees++;
        }

        var blobs = 0;
        if (size > settings.Budget)
        {
            (blobs, var freed) = cache.RemoveUnlinkedBlobs(cutoff.UtcDateTime, size - settings.Budget);
            size -= freed;
        }

        return (trees, blobs);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "cache was {Before} bytes, over its budget of {Budget}: removed {Trees} idle tree(s) and {Blobs} unlinked blob(s), now {After} bytes")]
    private static partial void LogCollected(ILogger logger, long before, long after, int trees, int blobs, long budget);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "cache collection failed: {Reason}")]
    private static partial void LogCollectionFailed(ILogger logger, string reason);
}
