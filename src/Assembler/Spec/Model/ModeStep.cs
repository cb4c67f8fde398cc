namespace OrasAssemble.Spec.Model;

/// <summary>Sets permission bits on the entry at <see cref="Path"/>, or on every entry matching <see cref="Include"/> minus <see cref="Exclude"/>.</summary>
internal sealed record ModeStep : StepSpec
{
    public const string KindName = "mode";

    public override string Kind => KindName;

    public string? Path { get; init; }

    public IReadOnlyList<string> Include { get; init; } = [];

    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Octal text such as <c>0755</c>.</summary>
    public required string Mode { get; init; }
}
