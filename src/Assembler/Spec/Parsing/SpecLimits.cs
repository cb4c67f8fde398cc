namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// Bounds on what the parser accepts, so hostile or broken input fails fast with a clear error instead of
/// exhausting memory or time. Real specs are a few kilobytes with a nesting depth under ten.
/// </summary>
internal static class SpecLimits
{
    /// <summary>Largest spec text, in UTF-8 bytes; also the largest the spec may grow to once YAML aliases are expanded.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Deepest nesting of mappings and lists.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most values (mappings, lists, scalars) in the document, counting every expansion of an alias.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>Most media types one source may list, as the schema says.</summary>
    public const int MaxMediaTypes = 256;

    /// <summary>Longest media type a source may list, as the schema says.</summary>
    public const int MaxMediaTypeLength = 255;

    /// <summary>Most errors reported for one spec; the rest are summarised in one final error.</summary>
    public const int MaxErrors = 100;
}
