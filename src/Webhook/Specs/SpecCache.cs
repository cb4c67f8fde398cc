using OrasAssemble.Threading;

namespace OrasAssemble.Webhook.Specs;

/// <summary>
/// Spec summaries by <c>registry/repository@digest</c>, each kept for a bounded time. Callers asking for a key
/// whose load is under way share that load; a failed load is forgotten at once, so the next admission retries.
/// </summary>
internal sealed class SpecCache
{
    private readonly TimeProvider time;
    private readonly TimeSpan ttl;
    private readonly int maxEntries;
    private readonly Lock gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly SingleFlight<SpecSummary> loads = new();

    public SpecCache(TimeProvider time, TimeSpan ttl, int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        this.time = time;
        this.ttl = ttl;
        this.maxEntries = maxEntries;
    }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>The cached summary for <paramref name="key"/>, or the result of <paramref name="load"/>.</summary>
    /// <returns>The summary, and whether it was already in the cache.</returns>
    public async Task<(SpecSummary Summary, bool Cached)> GetOrLoadAsync(string key, Func<Task<SpecSummary>> load, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (entries.TryGetValue(key, out var existing) && !existing.IsStale(time.GetUtcNow()))
            {
                return (existing.Summary, true);
            }
        }

        // The load runs on even if this caller gives up, so the others sharing it still get it.
        var summary = await loads.RunAsync(key, async () =>
        {
            var loaded = await load().ConfigureAwait(false);
            Keep(key, loaded);
            return loaded;
        }, cancellationToken).ConfigureAwait(false);
        return (summary, false);
    }

    private void Keep(string key, SpecSummary summary)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            entries.Remove(key);
            MakeRoom(now);
            entries[key] = new Entry(summary, now + ttl);
        }
    }

    // Called under the lock. Expired entries go first; if that is not enough, the ones that expire soonest.
    private void MakeRoom(DateTimeOffset now)
    {
        if (entries.Count < maxEntries)
        {
            return;
        }

        foreach (var stale in entries.Where(e => e.Value.IsStale(now)).Select(e => e.Key).ToList())
        {
            entries.Remove(stale);
        }

        var excess = entries.Count - maxEntries + 1;
        if (excess <= 0)
        {
            return;
        }

        foreach (var oldest in entries.OrderBy(e => e.Value.Expires).Take(excess).Select(e => e.Key).ToList())
        {
            entries.Remove(oldest);
        }
    }

    private sealed record Entry(SpecSummary Summary, DateTimeOffset Expires)
    {
        public bool IsStale(DateTimeOffset now) => now >= Expires;
    }
}
