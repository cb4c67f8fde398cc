using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// One problem with a spec: the field it concerns as a path such as <c>steps[2].copy.to</c> (empty for the
/// document as a whole), where that field is written, and what is wrong.
/// </summary>
public sealed record SpecError(string Path, int Line, int Column, string Message)
{
    public SpecError(string path, SpecPosition position, string message)
        : this(path, position.Line, position.Column, message)
    {
    }

    public SpecPosition Position => new(Line, Column);

    /// <summary>
    /// The form compilers use, so editors and terminals can jump to it: <c>file:line:col: path: message</c>
    /// (<c>file: path: message</c> when the position is unknown).
    /// </summary>
    public string Format(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file + (Line > 0 ? ":" : ": ") + ToString();
    }

    /// <summary><c>line:col: path: message</c>, leaving out the position when it is unknown and the path when it is the document.</summary>
    public override string ToString()
    {
        var where = Line > 0 ? $"{Line}:{Column}: " : "";
        var what = Path.Length > 0 ? Path + ": " : "";
        return where + what + Message;
    }
}
