namespace OrasAssemble.Execution;

/// <summary>A tree in the cache: its key, where it is, whether this call built it, and what it was built from.</summary>
/// <param name="SkippedSpecialFiles">Device nodes and FIFOs the sources held and the tree leaves out; known when this call built it.</param>
/// <param name="OwnersNotKept">
/// The tree's entries belong to the process that built it rather than to their sources' owners (it was not
/// privileged); known when this call built it.
/// </param>
public sealed record AssembledTree(
    string Key, string Path, bool Built, IReadOnlyList<ResolvedSourceSummary> Sources, long SkippedSpecialFiles = 0, bool OwnersNotKept = false);
