namespace OrasAssemble.Execution;

/// <summary>How an assembly came by its tree.</summary>
public enum TreeOrigin
{
    /// <summary>Every source was resolved and the tree was built by this call.</summary>
    Built,

    /// <summary>Every source was resolved and the tree they give was already cached.</summary>
    Cached,

    /// <summary>
    /// Found by the pin of what the spec last resolved to, without resolving any source; with an access check, only
    /// after it accepted the sources the tree was built from.
    /// </summary>
    Pinned,
}
