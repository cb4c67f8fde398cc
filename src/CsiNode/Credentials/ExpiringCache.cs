namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// Answers kept in memory for a fixed time and up to a fixed number of entries, one read per key in flight: the pods
/// of one workload publishing at once ask the API server for their service account and secret once. A read that
/// fails is forgotten, so the next publish asks again.
/// </summary>
internal sealed class ExpiringCache<TKey, TValue>(TimeSpan lifetime, int capacity, TimeProvider time)
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <param name="read">Runs at most once per key at a time; bounded by its own deadline, not the caller's.</param>
    public Task<TValue> GetOrAddAsync(TKey key, Func<Task<TValue>> read, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (!_entries.TryGetValue(key, out entry!) || entry.Expires <= now)
            {
                MakeRoom(now);
                entry = new Entry(read(), now + lifetime);
                _entries[key] = entry;
                _ = ForgetIfFailedAsync(key, entry);
            }
        }

        return entry.Value.WaitAsync(cancellationToken);
    }

    private async Task ForgetIfFailedAsync(TKey key, Entry entry)
    {
        try
        {
            await entry.Value.ConfigureAwait(false);
        }
        catch (Exception)
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
                {
                    _entries.Remove(key);
                }
            }
        }
    }

    private void MakeRoom(DateTimeOffset now)
    {
        if (_entries.Count < capacity)
        {
            return;
        }

        foreach (var expired in _entries.Where(p => p.Value.Expires <= now).Select(p => p.Key).ToList())
        {
            _entries.Remove(expired);
        }

        if (_entries.Count >= capacity)
        {
            _entries.Remove(_entries.MinBy(p => p.Value.Expires).Key);
        }
    }

    private sealed record Entry(Task<TValue> Value, DateTimeOffset Expires);
}
