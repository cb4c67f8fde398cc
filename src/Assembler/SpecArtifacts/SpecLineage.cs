namespace OrasAssemble.SpecArtifacts;

/// <summary>A spec revision and those it descends from, newest first.</summary>
/// <param name="Revisions">The revision asked about, then its predecessor, and so on.</param>
/// <param name="BrokenAt">Where the walk had to stop before reaching a first push; null when it reached one.</param>
public sealed record SpecLineage(IReadOnlyList<SpecRevision> Revisions, SpecLineageEnd? BrokenAt);
