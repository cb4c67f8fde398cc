namespace OrasAssemble.Cache;

public sealed record CacheOptions
{
    /// <summary>The cache directory: <c>blobs/</c>, <c>trees/</c>, <c>tmp/</c> and <c>locks/</c> live below it.</summary>
    public required string Root { get; init; }

    /// <summary>How long to wait for another process that is building the same tree or fetching the same blob.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Leftovers in <c>tmp/</c> older than this belong to a process that died, and are removed on open.</summary>
    public TimeSpan StaleTempAge { get; init; } = TimeSpan.FromHours(1);
}
