using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Inspection;

/// <summary>Renders an <see cref="InspectionReport"/> for people (aligned text) or programs (JSON).</summary>
internal static class InspectionWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void WriteJson(InspectionReport report, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(report, JsonOptions));

    public static void WriteText(InspectionReport report, TextWriter output)
    {
        Field(output, "Reference", report.Reference);
        Field(output, "Media type", report.MediaType);
        Field(output, "Digest", report.Digest);
        Field(output, "Size", Size(report.Size));
        if (report.Type is not null)
        {
            // The config's media type says only "image"; the kind and platform are what a reader wants.
            Field(output, "Type", report.Platform is null ? report.Type : $"{report.Type} ({report.Platform})");
        }
        else if (report.ArtifactType is not null)
        {
            Field(output, "Artifact type", report.ArtifactType);
        }

        if (report.Config is { } config)
        {
            Field(output, "Config", $"{config.MediaType} {config.Digest} ({Size(config.Size)})");
        }

        if (report.Subject is { } subject)
        {
            Field(output, "Subject", $"{subject.MediaType} {subject.Digest}");
        }

        Annotations(output, report.Annotations, "");

        if (report.Layers is { } layers)
        {
            output.WriteLine($"Layers ({layers.Count}):");
            foreach (var (layer, number) in layers.Select((l, i) => (l, i + 1)))
            {
                output.WriteLine($"  {number}. {layer.Title ?? "(no title)"}");
                Field(output, "media type", layer.MediaType, "     ");
                Field(output, "size", Size(layer.Size), "     ");
                Field(output, "digest", layer.Digest, "     ");
                var others = layer.Annotations?.Where(a => a.Key != Oci.Annotations.Title).ToDictionary();
                Annotations(output, others, "     ");
            }
        }

        if (report.Manifests is { } manifests)
        {
            output.WriteLine($"Manifests ({manifests.Count}):");
            foreach (var (entry, number) in manifests.Select((m, i) => (m, i + 1)))
            {
                output.WriteLine($"  {number}. {entry.Platform ?? "(no platform)"}");
                Field(output, "media type", entry.MediaType, "     ");
                Field(output, "size", Size(entry.Size), "     ");
                Field(output, "digest", entry.Digest, "     ");
                if (entry.ArtifactType is not null)
                {
                    Field(output, "artifact type", entry.ArtifactType, "     ");
                }

                Annotations(output, entry.Annotations, "     ");
            }
        }

        if (report.Details is { } details)
        {
            output.WriteLine($"{report.DetailsHeading}:");
            Node(output, details, "  ");
        }
    }

    private static void Field(TextWriter output, string name, string value, string indent = "") =>
        output.WriteLine($"{indent}{name + ":",-15}{value}");

    private static void Annotations(TextWriter output, IReadOnlyDictionary<string, string>? annotations, string indent)
    {
        if (annotations is null || annotations.Count == 0)
        {
            return;
        }

        output.WriteLine($"{indent}{(indent.Length == 0 ? "Annotations" : "annotations")}:");
        foreach (var (key, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{indent}  {key}: {value}");
        }
    }

    // A YAML-like block layout: people read it more easily than JSON, and it shows the spec much as it was written.
    private static void Node(TextWriter output, JsonNode? node, string indent)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Property(output, indent, indent, key, value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is JsonObject { Count: > 0 } obj)
                    {
                        // The first field shares the dash's line; the others line up under it.
                        var prefix = indent + "- ";
                        foreach (var (key, value) in obj)
                        {
                            Property(output, prefix, indent + "  ", key, value);
                            prefix = indent + "  ";
                        }
                    }
                    else if (item is JsonObject or JsonArray)
                    {
                        output.WriteLine($"{indent}-");
                        Node(output, item, indent + "  ");
                    }
                    else
                    {
                        output.WriteLine($"{indent}- {Scalar(item)}");
                    }
                }

                break;
            default:
                output.WriteLine($"{indent}{Scalar(node)}");
                break;
        }
    }

    /// <param name="prefix">What the line starts with (indentation, perhaps a list dash).</param>
    /// <param name="column">The indentation of the key itself; nested values go one level deeper.</param>
    private static void Property(TextWriter output, string prefix, string column, string key, JsonNode? value)
    {
        if (value is JsonObject or JsonArray)
        {
            output.WriteLine($"{prefix}{key}:");
            Node(output, value, column + "  ");
        }
        else
        {
            output.WriteLine($"{prefix}{key}: {Scalar(value)}");
        }
    }

    private static string Scalar(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "null";

    private static string Size(long bytes) =>
        bytes < 1024 ? $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes" : $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes ({ByteSize.Format(bytes)})";
}
