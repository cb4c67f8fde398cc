namespace OrasAssemble.Spec.Model;

public sealed record SpecOptions
{
    public static SpecOptions Default { get; } = new();

    /// <summary>Keep setuid and setgid bits in the tree; without it they are cleared and a mode that sets them is an error.</summary>
    public bool AllowSetuid { get; init; }
}
