namespace OrasAssemble.Spec.Parsing;

/// <summary>A place in the spec text, 1-based. <see cref="None"/> (0:0) for a spec that has no text, e.g. one built in code.</summary>
public readonly record struct SpecPosition(int Line, int Column)
{
    public static SpecPosition None => default;

    public static SpecPosition Start => new(1, 1);

    public bool IsKnown => Line > 0;

    public override string ToString() => $"{Line}:{Column}";
}
