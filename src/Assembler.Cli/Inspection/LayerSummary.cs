namespace OrasAssemble.Cli.Inspection;

/// <summary>One layer of a manifest as <c>inspect</c> shows it.</summary>
internal sealed record LayerSummary(
    string MediaType,
    string? Title,
    long Size,
    string Digest,
    IReadOnlyDictionary<string, string>? Annotations);
