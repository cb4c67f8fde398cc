namespace OrasAssemble.Spec.Parsing;

/// <summary>The JSON types a YAML value resolves to under the YAML 1.2 core schema.</summary>
internal enum ScalarType
{
    String,
    Boolean,
    Integer,
    Float,
    Null,
}

/// <summary>
/// A value of the spec document after YAML is resolved: JSON-shaped, aliases expanded, each value knowing its
/// field path and where it is written. This is what the schema checks and what the model is built from.
/// </summary>
internal abstract class SpecNode(string path, SpecPosition position)
{
    public string Path { get; } = path;

    public SpecPosition Position { get; } = position;
}

internal sealed class SpecScalar(string path, SpecPosition position, ScalarType type, string text)
    : SpecNode(path, position)
{
    public ScalarType Type { get; } = type;

    /// <summary>The scalar's text as written (after YAML escapes and folding).</summary>
    public string Text { get; } = text;

    public bool IsTrue => Type == ScalarType.Boolean && Text is "true" or "True" or "TRUE";
}

internal sealed class SpecArray(string path, SpecPosition position, IReadOnlyList<SpecNode> items)
    : SpecNode(path, position)
{
    public IReadOnlyList<SpecNode> Items { get; } = items;
}

internal sealed class SpecObject(string path, SpecPosition position, IReadOnlyList<SpecProperty> properties)
    : SpecNode(path, position)
{
    public IReadOnlyList<SpecProperty> Properties { get; } = properties;

    public SpecNode? Get(string key)
    {
        foreach (var property in Properties)
        {
            if (property.Key == key)
            {
                return property.Value;
            }
        }

        return null;
    }
}

internal sealed record SpecProperty(string Key, SpecPosition KeyPosition, SpecNode Value);
