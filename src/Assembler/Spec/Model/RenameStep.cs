namespace OrasAssemble.Spec.Model;

/// <summary>Moves an entry of the tree to another path.</summary>
internal sealed record RenameStep : StepSpec
{
    public const string KindName = "rename";

    public override string Kind => KindName;

    public required string Path { get; init; }

    /// <summary>The new path; ending in '/' means "into this directory, keeping the name".</summary>
    public required string To { get; init; }

    public bool Overwrite { get; init; }
}
