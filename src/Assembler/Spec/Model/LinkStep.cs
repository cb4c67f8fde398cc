namespace OrasAssemble.Spec.Model;

/// <summary>Creates a symbolic link at <see cref="Path"/> pointing to <see cref="Target"/>, which stays inside the tree.</summary>
internal sealed record LinkStep : StepSpec
{
    public const string KindName = "link";

    public override string Kind => KindName;

    public required string Path { get; init; }

    /// <summary>Relative to the link's directory, or absolute within the tree (stored as the equivalent relative link).</summary>
    public required string Target { get; init; }

    public bool Overwrite { get; init; }
}
