namespace OrasAssemble.Webhook.Metrics;

internal enum SpecResolutionResult
{
    /// <summary>The tag (if any) was resolved; the revision's summary came from the cache.</summary>
    Cached,

    /// <summary>The revision's manifest (and, when needed, its layer) was read from the registry.</summary>
    Fetched,

    Invalid,

    Unavailable,
}
