using Microsoft.Extensions.Logging;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Publishing;

namespace OrasAssemble.CsiNode.Eviction;

/// <summary>
/// Keeps the node cache within its budget on a timer. The cache chooses and removes idle trees and unlinked blobs
/// under its own locks (<see cref="TreeCache.Collect"/>); what only the plugin knows is which trees are mounted: the
/// publish records say so, and a tree being mounted right now is both in use and freshly touched.
/// </summary>
internal sealed partial class CacheCollector(
    TreeCache cache, VolumePublisher publisher, CacheSettings settings, NodeMetrics metrics, TimeProvider time, ILogger<CacheCollector> logger)
{
    /// <summary>Measures the cache and, when over budget, trims it. Returns the size afterwards.</summary>
    public long Collect()
    {
        var result = cache.Collect(new CollectionRequest
        {
            Budget = settings.Budget > 0 ? settings.Budget : null,
            MinIdle = settings.MinIdle,
            Now = time.GetUtcNow(),
            TreesInUse = publisher.TreesInUse,
        });
        if (settings.Budget > 0 && result.SizeBefore > settings.Budget)
        {
            LogCollected(logger, result.SizeBefore, result.SizeAfter, result.Trees.Count, result.Blobs, settings.Budget);
        }

        metrics.SetCacheSize(result.SizeAfter);
        return result.SizeAfter;
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

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "cache was {Before} bytes, over its budget of {Budget}: removed {Trees} idle tree(s) and {Blobs} unlinked blob(s), now {After} bytes")]
    private static partial void LogCollected(ILogger logger, long before, long after, int trees, int blobs, long budget);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "cache collection failed: {Reason}")]
    private static partial void LogCollectionFailed(ILogger logger, string reason);
}
