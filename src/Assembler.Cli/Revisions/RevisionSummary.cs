namespace OrasAssemble.Cli.Revisions;

/// <summary>A spec revision as <c>--output json</c> shows it.</summary>
internal sealed record RevisionSummary(string Digest, long Size, string? Base, string? Created, string? Subject);
