namespace OrasAssemble.Cli.Revisions;

/// <summary>A predecessor <c>history</c> could not follow, and why.</summary>
internal sealed record HistoryGap(string Digest, string Problem);
