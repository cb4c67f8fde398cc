namespace OrasAssemble.Spec.Model;

/// <summary>
/// Copies from a source into the tree: the entry at <see cref="Path"/>, or the files matching
/// <see cref="Include"/> minus <see cref="Exclude"/> (inside <see cref="Path"/> when both are given).
/// </summary>
internal sealed record CopyStep : StepSpec
{
    public const string KindName = "copy";

    /// <summary>The <see cref="Links"/> value that copies links as links, wherever they point (then they must stay in the tree).</summary>
    public const string RefuseLinks = "refuse";

    /// <summary>The default <see cref="Links"/>: a link pointing outside the copied path is copied as what it points to.</summary>
    public const string CopyLinks = "copy";

    public override string Kind => KindName;

    /// <summary>Name of the source to read.</summary>
    public required string From { get; init; }

    /// <summary>A path inside the source, with or without a leading '/'.</summary>
    public string? Path { get; init; }

    public IReadOnlyList<string> Include { get; init; } = [];

    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Where in the tree: ending in '/' means "into this directory", otherwise "as this name".</summary>
    public required string To { get; init; }

    /// <summary>Permission bits for every regular file copied, as octal text; null keeps the source's.</summary>
    public string? Mode { get; init; }

    public bool Overwrite { get; init; }

    /// <summary>
    /// What to do with a link whose target lies outside <see cref="Path"/> but inside the source: <c>copy</c> (the default,
    /// null) copies what it points to; <c>refuse</c> copies the link itself, which must then stay inside the tree.
    /// </summary>
    public string? Links { get; init; }

    /// <summary>
    /// Owner and group for every entry copied, as numeric <c>uid:gid</c> (like Dockerfile <c>COPY --chown</c> with
    /// numbers); null keeps the source's.
    /// </summary>
    public string? Owner { get; init; }
}
