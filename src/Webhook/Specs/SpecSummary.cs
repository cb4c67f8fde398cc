namespace OrasAssemble.Webhook.Specs;

/// <summary>What one spec revision says, whatever tag it was reached through; this is what the cache keeps.</summary>
internal sealed record SpecSummary(string? BaseImage, string? MountPath);
