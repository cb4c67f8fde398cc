namespace OrasAssemble.Cli.Inspection;

/// <summary>One entry of an index as <c>inspect</c> shows it.</summary>
/// <param name="Platform">os/architecture[/variant], or null when the entry names none (e.g. an attestation).</param>
internal sealed record ManifestEntrySummary(
    string MediaType,
    string Digest,
    long Size,
    string? Platform,
    string? ArtifactType,
    IReadOnlyDictionary<string, string>? Annotations);
