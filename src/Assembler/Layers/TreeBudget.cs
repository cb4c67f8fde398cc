namespace OrasAssemble.Layers;

/// <summary>
/// What one build may put on disk, whatever puts it there: file data extracted from layers, ORAS files linked from
/// the blob store, and the private copies a step makes when it must change a file that shares its inode. Hard links
/// made from the same inode cost nothing, since they add no bytes. Each writer asks before it writes, so a build that
/// would break the cap stops before the bytes exist, and the message names the configured cap, never what was left.
/// </summary>
internal sealed class TreeBudget
{
    private readonly long _maxBytes;
    private readonly long _maxEntries;

    public TreeBudget(long maxBytes, long maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        _maxBytes = maxBytes;
        _maxEntries = maxEntries;
    }

    /// <summary>A budget as large as the limits allow one layer; for a layer applied on its own.</summary>
    public static TreeBudget For(ExtractionLimits limits) => new(limits.MaxTotalBytes, limits.MaxEntries);

    public long Bytes { get; private set; }

    public long Entries { get; private set; }

    /// <summary>Takes <paramref name="bytes"/> from the budget, or leaves it as it was and says why not.</summary>
    public string? TryChargeBytes(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > _maxBytes - Bytes)
        {
            return $"the tree would hold more than the limit of {_maxBytes} bytes (maxTotalBytes)";
        }

        Bytes += bytes;
        return null;
    }

    /// <summary>Counts one more entry, or says why it may not be added.</summary>
    public string? TryChargeEntry()
    {
        if (Entries >= _maxEntries)
        {
            return $"the tree would hold more than the limit of {_maxEntries} entries (maxEntries)";
        }

        Entries++;
        return null;
    }
}
