namespace OrasAssemble.CsiNode.Configuration;

/// <summary>The <c>cache:</c> section: how much disk the node cache may use and when unused trees may go.</summary>
internal sealed record CacheSettings
{
    /// <summary>Bytes the cache (blobs and trees) should stay under; 0 means no limit.</summary>
    public long Budget { get; init; }

    /// <summary>A tree no pod mounts is kept at least this long after it was last used.</summary>
    public TimeSpan MinIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the cache is measured and, when over budget, trimmed.</summary>
    public TimeSpan GcInterval { get; init; } = TimeSpan.FromMinutes(5);
}
