namespace OrasAssemble.Spec.Model;

public sealed record SpecMetadata
{
    /// <summary>A DNS subdomain name; it becomes the title annotation of the spec artifact.</summary>
    public required string Name { get; init; }

    /// <summary>Free-form notes for people and tools; the assembler does not interpret them.</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = EmptyMap.Strings;
}
