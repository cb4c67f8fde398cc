namespace OrasAssemble.Execution;

/// <summary>A tree in the cache: its key, where it is, whether this call built it, and what it was built from.</summary>
public sealed record AssembledTree(string Key, string Path, bool Built, IReadOnlyList<ResolvedSourceSummary> Sources);
