namespace OrasAssemble.Spec.Model;

/// <summary>Deletes the entry at <see cref="Path"/>, or every entry matching <see cref="Include"/> minus <see cref="Exclude"/>.</summary>
internal sealed record RemoveStep : StepSpec
{
    public const string KindName = "remove";

    public override string Kind => KindName;

    public string? Path { get; init; }

    public IReadOnlyList<string> Include { get; init; } = [];

    public IReadOnlyList<string> Exclude { get; init; } = [];
}
