namespace OrasAssemble.Webhook.Specs;

internal sealed record SpecResolverOptions
{
    /// <summary>
    /// The most one resolution may take, registry round trips and retries included. It must stay below the
    /// webhook's <c>timeoutSeconds</c> so the API server gets our clear answer rather than its own timeout.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a resolved revision is kept; a digest's content never changes, so this only bounds staleness of access and memory.</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    public int MaxCacheEntries { get; init; } = 1024;
}
