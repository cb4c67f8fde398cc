namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// A reference that was to name an assembly spec names something else (another artifact, an image, an index), or a
/// manifest that claims to be a spec but does not hold exactly one spec layer of a readable size, or whose summary
/// annotations cannot be used.
/// </summary>
public sealed class NotASpecArtifactException(string reference, string problem)
    : Exception($"{reference}: {problem}")
{
    public string Reference { get; } = reference;

    /// <summary>What is wrong, without the reference.</summary>
    public string Problem { get; } = problem;
}
