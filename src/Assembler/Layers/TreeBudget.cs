namespace OrasAssemble.Layers;

/// <summary>
/// What one build may put on disk, whatever puts it there: file data extracted from layers, ORAS files linked from
/// the blob store, and the private copies a step makes when it must change a file that shares its inode. Hard links
/// made from the same inode cost nothing, since they add no bytes. Each writer asks before it writes, so a build that
/// would break the cap stops before the bytes exist, and the message names the configured cap, never what was left.
/// Layers read at the same time charge it from their own threads.
/// </summary>
internal sealed class TreeBudget
{
    private readonly object _gate = new();
    private readonly long _maxBytes;
    private readonly long _maxEntries;
    private long _bytes;
    private long _entries;

    public TreeBudget(long maxBytes, long maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        _maxBytes = maxBytes;
        _maxEntries = maxEntries;
    }

    /// <summary>A budget as large as the limits allow one layer; for a layer applied on its own.</summary>
    public static TreeBudget For(ExtractionLimits limits) => new(limits.MaxTotalBytes, limits.MaxEntries);

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public long Entries
    {
        get
        {
            lock (_gate)
            {
                return _entries;
            }
        }
    }

    /// <summary>What has been charged so far, to go back to with <see cref="Restore"/>.</summary>
    public (long Bytes, long Entries) Mark()
    {
        lock (_gate)
        {
            return (_bytes, _entries);
        }
    }

    /// <summary>Forgets what was charged since <paramref name="mark"/>: for writes undone, and only once nothing else charges.</summary>
    public void Restore((long Bytes, long Entries) mark)
    {
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(mark.Bytes, _bytes);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(mark.Entries, _entries);
            (_bytes, _entries) = mark;
        }
    }

    /// <summary>Takes <paramref name="bytes"/> from the budget, or leaves it as it was and says why not.</summary>
    public string? TryChargeBytes(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            if (bytes > _maxBytes - _bytes)
            {
                return $"the tree would hold more than the limit of {_maxBytes} bytes (maxTotalBytes)";
            }

            _bytes += bytes;
            return null;
        }
    }

    /// <summary>Counts one more entry, or says why it may not be added.</summary>
    public string? TryChargeEntry()
    {
        lock (_gate)
        {
            if (_entries >= _maxEntries)
            {
                return $"the tree would hold more than the limit of {_maxEntries} entries (maxEntries)";
            }

            _entries++;
            return null;
        }
    }
}
