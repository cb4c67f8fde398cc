using System.Text.Json.Nodes;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Inspection;

/// <summary>What <c>inspect</c> found out about a manifest or index; rendered as text or JSON.</summary>
internal sealed record InspectionReport
{
    public required string Reference { get; init; }

    public required string MediaType { get; init; }

    public required string Digest { get; init; }

    public required long Size { get; init; }

    /// <summary>The declared artifact type, else (for a manifest) the config's media type as the OCI spec directs.</summary>
    public string? ArtifactType { get; init; }

    /// <summary><c>container image</c> for an image manifest (config of an image config type, no artifact type), else null.</summary>
    public string? Type { get; init; }

    /// <summary>For a container image, the platform its config states (<c>os/arch[/variant]</c>).</summary>
    public string? Platform { get; init; }

    public Descriptor? Config { get; init; }

    public Descriptor? Subject { get; init; }

    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Set for a manifest.</summary>
    public IReadOnlyList<LayerSummary>? Layers { get; init; }

    /// <summary>Set for an index.</summary>
    public IReadOnlyList<ManifestEntrySummary>? Manifests { get; init; }

    /// <summary>The kind-specific section from an <see cref="IArtifactDetailProvider"/>, with its heading.</summary>
    public string? DetailsHeading { get; init; }

    public JsonObject? Details { get; init; }
}
