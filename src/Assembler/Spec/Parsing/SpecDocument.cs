using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// A spec read and validated in one go: the usual way in. <see cref="Spec"/> is set only when there is
/// nothing wrong; otherwise <see cref="Errors"/> lists every problem.
/// </summary>
public sealed class SpecDocument
{
    private readonly ValidSpec? _valid;

    private SpecDocument(ParsedSpec parsed)
    {
        (Errors, var json) = SpecValidator.Check(parsed);
        Positions = parsed.Positions;
        _valid = Errors.Count == 0 ? ValidSpecBuilder.Build(parsed.Spec!, json!) : null;
    }

    /// <summary>The validated spec as a record, or null when <see cref="Errors"/> is not empty.</summary>
    public AssemblySpec? Spec => _valid?.Model;

    public IReadOnlyList<SpecError> Errors { get; }

    public bool IsValid => _valid is not null;

    public SpecPositionMap Positions { get; }

    public static SpecDocument Load(string text) => new(SpecParser.Parse(text));

    /// <summary>
    /// Starts reading the spec schema on a thread-pool thread and returns at once, for a process that is about to load a
    /// spec: the first load then finds the schema ready, or waits only for the rest of it. The schema's first reading
    /// costs a short-lived command a good part of its start.
    /// </summary>
    public static void Prepare() => _ = Task.Run(SpecSchema.Prepare);

    public static SpecDocument Load(ReadOnlySpan<byte> utf8) => new(SpecParser.Parse(utf8));

    /// <summary>Reads a spec file, refusing to read more than <see cref="SpecLimits.MaxBytes"/> of it.</summary>
    public static async Task<SpecDocument> LoadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        var buffer = new byte[SpecLimits.MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await file.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        // One byte past the limit is enough for the parser to report the size; the rest is never read.
        return Load(buffer.AsSpan(0, length));
    }

    /// <summary>The validated spec.</summary>
    /// <param name="file">Names the spec's origin in the exception message, as in <c>file:line:col: path: message</c>.</param>
    /// <exception cref="InvalidSpecException">The spec has errors; all of them are in the exception.</exception>
    public ValidSpec GetValidSpec(string? file = null) => _valid ?? throw new InvalidSpecException(Errors, file);
}
