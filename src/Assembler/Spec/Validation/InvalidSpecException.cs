namespace OrasAssemble.Spec.Validation;

/// <summary>A spec failed to parse or validate. <see cref="Errors"/> holds every problem found, in document order.</summary>
public sealed class InvalidSpecException : Exception
{
    public InvalidSpecException(IReadOnlyList<SpecError> errors, string? file = null)
        : base(Describe(errors, file))
    {
        Errors = errors;
        File = file;
    }

    public IReadOnlyList<SpecError> Errors { get; }

    /// <summary>The file or reference the spec came from, when known; it prefixes each line of the message.</summary>
    public string? File { get; }

    private static string Describe(IReadOnlyList<SpecError> errors, string? file)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var lines = errors.Select(e => file is null ? e.ToString() : e.Format(file));
        var count = errors.Count == 1 ? "1 error" : $"{errors.Count} errors";
        return $"invalid assembly spec ({count}):" + Environment.NewLine + string.Join(Environment.NewLine, lines);
    }
}
