namespace OrasAssemble.Spec.Model;

/// <summary>An artifact or image to read files from, and which of its layers count.</summary>
public sealed record SourceSpec
{
    public required string Ref { get; init; }

    /// <summary>Which manifest to take when the reference names an index; defaults to the base platform, then the node's.</summary>
    public string? Platform { get; init; }

    /// <summary>When not empty, only layers of these media types are read.</summary>
    public IReadOnlyList<string> MediaTypes { get; init; } = [];

    /// <summary>When not empty, only layers carrying all of these annotations with exactly these values are read.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = EmptyMap.Strings;
}
