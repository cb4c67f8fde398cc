using System.Text.Json.Serialization;

namespace OrasAssemble.Oci;

/// <summary>An OCI content descriptor: what a piece of content is, how large, and its digest.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")]
    public required string MediaType { get; init; }

    [JsonPropertyName("digest")]
    public required string Digest { get; init; }

    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("urls")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Urls { get; init; }

    [JsonPropertyName("annotations")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonPropertyName("data")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Data { get; init; }

    [JsonPropertyName("platform")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Platform? Platform { get; init; }

    [JsonPropertyName("artifactType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ArtifactType { get; init; }

    /// <summary>The descriptor of exactly these bytes.</summary>
    public static Descriptor Create(ReadOnlySpan<byte> content, string mediaType) => new()
    {
        MediaType = mediaType,
        Digest = Oci.Digest.ComputeSha256(content),
        Size = content.Length,
    };

    /// <summary>The OCI empty descriptor: <c>{}</c> as <c>application/vnd.oci.empty.v1+json</c>.</summary>
    public static Descriptor Empty { get; } = new()
    {
        MediaType = MediaTypes.Empty,
        Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        Size = 2,
        Data = "e30=",
    };

    /// <summary>The title annotation, the name ORAS gives a file layer.</summary>
    [JsonIgnore]
    public string? Title => Annotations is not null && Annotations.TryGetValue(Oci.Annotations.Title, out var t) ? t : null;

    /// <summary>Identity of the content alone, ignoring annotations and platform.</summary>
    public Descriptor Basic() => new() { MediaType = MediaType, Digest = Digest, Size = Size };

    public override string ToString() => $"{MediaType} {Digest} ({Size} bytes)";
}
