namespace OrasAssemble.Cache;

/// <summary>How far to trim the cache, and what the caller knows that the cache does not.</summary>
public sealed record CollectionRequest
{
    /// <summary>The disk bytes the cache may hold; null only measures.</summary>
    public required long? Budget { get; init; }

    /// <summary>A tree or blob used or written more recently than this is left alone.</summary>
    public TimeSpan MinIdle { get; init; }

    /// <summary>The time idleness is measured from; now when null.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>
    /// The trees the caller has in use (a node plugin: the trees its volumes mount); asked when the list of idle trees
    /// is made and again for each tree under the cache's locks just before it goes.
    /// </summary>
    public Func<IReadOnlySet<string>>? TreesInUse { get; init; }
}
