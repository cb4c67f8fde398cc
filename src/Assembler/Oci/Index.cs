using System.Text.Json.Serialization;

namespace OrasAssemble.Oci;

/// <summary>An OCI image index (also read from Docker manifest lists).</summary>
public sealed record Index
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MediaType { get; init; } = MediaTypes.ImageIndex;

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests")]
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];

    [JsonPropertyName("subject")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>
    /// The entry for <paramref name="platform"/>: the first manifest whose platform satisfies it, as container runtimes pick.
    /// </summary>
    public Descriptor SelectPlatform(Platform platform)
    {
        var match = Manifests.FirstOrDefault(m => m.Platform is not null && platform.IsSatisfiedBy(m.Platform));
        if (match is null)
        {
            var offered = string.Join(", ", Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()));
            throw new PlatformNotFoundException(platform, offered.Length == 0 ? "none" : offered);
        }

        return match;
    }
}
