namespace OrasAssemble.Cli.Revisions;

/// <summary>What <c>rebase --output json</c> prints.</summary>
internal sealed record RebaseSummary(
    string Digest, string Previous, string Base, string BaseImage, string? Tag, IReadOnlyList<string> CheckedPlatforms, bool Forced);
