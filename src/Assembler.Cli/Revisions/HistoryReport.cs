namespace OrasAssemble.Cli.Revisions;

/// <summary>What <c>history --output json</c> prints: the revisions newest first, and where the walk stopped short, if it did.</summary>
internal sealed record HistoryReport(string Reference, IReadOnlyList<RevisionSummary> Revisions, HistoryGap? StoppedAt);
