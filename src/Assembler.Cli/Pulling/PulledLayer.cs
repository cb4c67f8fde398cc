namespace OrasAssemble.Cli.Pulling;

/// <summary>What a pull did with one layer.</summary>
/// <param name="Title">The layer's title; null for a layer that was skipped because it has none.</param>
internal sealed record PulledLayer(string Digest, string MediaType, string? Title, bool Unpacked);
