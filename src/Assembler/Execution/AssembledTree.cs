namespace OrasAssemble.Execution;

/// <summary>A tree in the cache: its key, where it is, how this call came by it, and what it was built from.</summary>
/// <param name="Sources">What each source resolved to; empty when the tree was <see cref="TreeOrigin.Pinned"/> (no source was resolved).</param>
/// <param name="SkippedSpecialFiles">Device nodes and FIFOs the sources held and the tree leaves out; known when this call built it.</param>
/// <param name="OwnersNotKept">
/// The tree's entries belong to the process that built it rather than to their sources' owners (it was not
/// privileged); known when this call built it.
/// </param>
public sealed record AssembledTree(
    string Key, string Path, TreeOrigin Origin, IReadOnlyList<ResolvedSourceSummary> Sources, long SkippedSpecialFiles = 0, bool OwnersNotKept = false)
{
    /// <summary>For a request naming a reference, the manifest digest it resolved to; null for a spec.</summary>
    public string? ManifestDigest { get; init; }

    /// <summary>How many files, directories and links the tree holds; known when this call built it.</summary>
    public TreeEntryCounts? Entries { get; init; }

    /// <summary>Whether this call built the tree (a cache miss).</summary>
    public bool Built => Origin == TreeOrigin.Built;
}
