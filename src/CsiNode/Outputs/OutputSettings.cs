namespace OrasAssemble.CsiNode.Outputs;

/// <summary>The <c>outputs:</c> section: how large a workflow output may be, and how its push is retried.</summary>
internal sealed record OutputSettings
{
    /// <summary>Bytes of regular files one output may hold; a larger one is kept on the node and reported, never pushed.</summary>
    public long MaxBytes { get; init; } = 10L << 30;

    /// <summary>Entries (files, folders, links) one output may hold.</summary>
    public long MaxFiles { get; init; } = 100_000;

    /// <summary>Outputs pushed at once.</summary>
    public int Parallelism { get; init; } = 2;

    /// <summary>The wait before the first retry of a push that failed for a reason that may pass (a registry down, 5xx, 429).</summary>
    public TimeSpan RetryInitial { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two such retries; each wait doubles up to it.</summary>
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait between tries of a push the registry refused (401, 403, an invalid name, another 4xx), and between reports of an oversized output.</summary>
    public TimeSpan RetryRefused { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>An output still not pushed this long after its pod's unpublish is reported at every try (it is kept all the same); at least 1s.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(24);
}
