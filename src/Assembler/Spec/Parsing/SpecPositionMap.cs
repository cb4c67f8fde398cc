namespace OrasAssemble.Spec.Parsing;

/// <summary>Where each field of a spec is written: field path to line and column (of the key, for a mapping entry).</summary>
public sealed class SpecPositionMap
{
    private readonly IReadOnlyDictionary<string, SpecPosition> positions;

    internal SpecPositionMap(IReadOnlyDictionary<string, SpecPosition> positions)
    {
        this.positions = positions;
    }

    /// <summary>The map of a spec that has no text, e.g. one built in code.</summary>
    public static SpecPositionMap Empty { get; } = new(new Dictionary<string, SpecPosition>());

    public int Count => positions.Count;

    public bool TryGetPosition(string path, out SpecPosition position) => positions.TryGetValue(path, out position);

    /// <summary>
    /// The position of <paramref name="path"/>, or of the nearest enclosing field that is written (a missing
    /// field is reported where its parent is); <see cref="SpecPosition.None"/> when nothing is known.
    /// </summary>
    public SpecPosition Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        for (string? current = path; current is not null; current = FieldPath.Parent(current))
        {
            if (positions.TryGetValue(current, out var position))
            {
                return position;
            }
        }

        return positions.Count == 0 ? SpecPosition.None : SpecPosition.Start;
    }
}
