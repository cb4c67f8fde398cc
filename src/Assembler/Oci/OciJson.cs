using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrasAssemble.Oci;

/// <summary>Reads and writes OCI JSON documents, with clear errors for content that is not what it claims to be.</summary>
public static class OciJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> content, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(content, Options)
                ?? throw new InvalidDataException($"{what} is JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The media type a manifest declares about itself, or null when it declares none.</summary>
    public static string? PeekMediaType(ReadOnlySpan<byte> content)
    {
        try
        {
            var reader = new Utf8JsonReader(content);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("mediaType", out var mt)
                && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
