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
        Entry entry;
        bool cached;
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (entries.TryGetValue(key, out var existing) && !existing.IsStale(now))
            {
                entry = existing;
                cached = existing.Load.IsValueCreated && existing.Load.Value.IsCompletedSuccessfully;
            }
            else
            {
                MakeRoom(now);
                entry = new Entry(this, key, load);
                entries[key] = entry;
                cached = false;
            }
        }

        // The load starts outside the lock: it runs the caller's code up to its first await.
        var summary = await entry.Load.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (summary, cached);
    }

    private void Completed(Entry entry, bool succeeded)
    {
        lock (gate)
        {
            if (!entries.TryGetValue(entry.Key, out var current) || !ReferenceEquals(current, entry))
            {
                return;
            }

            if (succeeded)
            {
                entry.Expires = time.GetUtcNow() + ttl;
            }
            else
            {
                entries.Remove(entry.Key);
            }
        }
    }

    // Called under the lock. Expired entries go first; if that is not enough, the ones that expire soonest.
    private void MakeRoom(DateTimeOffset now)
    {
        if (entries.Count < maxEntries)
        {
            return;
        }

        foreach (var stale in entries.Values.Where(e => e.IsStale(now)).ToList())
        {
            entries.Remove(stale.Key);
        }

        var excess = entries.Count - maxEntries + 1;
        if (excess <= 0)
        {
            return;
        }

        foreach (var oldest in entries.Values.Where(e => e.Expires is not null).OrderBy(e => e.Expires).Take(excess).ToList())
        {
            entries.Remove(oldest.Key);
        }
    }

    private sealed class Entry
    {
        public Entry(SpecCache owner, string key, Func<Task<SpecSummary>> load)
        {
            Key = key;
            Load = new Lazy<Task<SpecSummary>>(() => RunAsync(owner, load));
        }

        public string Key { get; }

        public Lazy<Task<SpecSummary>> Load { get; }

        /// <summary>Null while loading.</summary>
        public DateTimeOffset? Expires { get; set; }

        public bool IsStale(DateTimeOffset now) => Expires is { } expires && now >= expires;

        private async Task<SpecSummary> RunAsync(SpecCache owner, Func<Task<SpecSummary>> load)
        {
            try
            {
                var summary = await load().ConfigureAwait(false);
                owner.Completed(this, succeeded: true);
                return summary;
            }
            catch
            {
                owner.Completed(this, succeeded: false);
                throw;
            }
        }
    }
}
