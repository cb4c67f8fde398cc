using System.Globalization;

namespace OrasAssemble.Text;

/// <summary>
/// A value that came from outside (a reference, a path, a volume attribute, an annotation) as a message quotes it:
/// whole when it is short, else its first <see cref="MaxCharacters"/> characters and how long it was. Whoever sent a
/// megabyte must not get it back in an error, a log line or a gRPC trailer.
/// </summary>
public static class QuotedValue
{
    /// <summary>How much of a value a message repeats.</summary>
    public const int MaxCharacters = 256;

    /// <summary>The value in double quotes, e.g. <c>"abc"</c>, or <c>"abc…" (1048576 characters)</c> when cut.</summary>
    public static string Of(string? value)
    {
        var text = value ?? "";
        return text.Length <= MaxCharacters ? $"\"{text}\"" : $"\"{Cut(text, MaxCharacters)}…\" ({Length(text)})";
    }

    /// <summary>The value without quotes, e.g. <c>abc</c>, or <c>abc… (1048576 characters)</c> when cut.</summary>
    public static string Bare(string? value) => Bounded(value, MaxCharacters);

    /// <summary>
    /// At most <paramref name="maxCharacters"/> characters of <paramref name="text"/>, then how long it was: for a
    /// whole message that joins many bounded values.
    /// </summary>
    public static string Bounded(string? text, int maxCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCharacters, 2);
        var value = text ?? "";
        return value.Length <= maxCharacters ? value : $"{Cut(value, maxCharacters)}… ({Length(value)})";
    }

    // Never ends between the two halves of a surrogate pair, which would make the message invalid UTF-16.
    private static string Cut(string text, int length) =>
        char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];

    private static string Length(string text) => string.Create(CultureInfo.InvariantCulture, $"{text.Length} characters");
}
