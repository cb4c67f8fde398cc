using System.Text;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// Reads spec text, YAML or JSON, into a <see cref="ParsedSpec"/>. Never throws for bad input: every problem,
/// including oversized, deeply nested or alias-bomb documents, comes back as a <see cref="SpecError"/>.
/// </summary>
internal static class SpecParser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ParsedSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException invalid)
        {
            return Failed(new SpecError(FieldPath.Root, PositionOf(text, invalid.Index), "the text contains an unpaired UTF-16 surrogate"));
        }

        if (bytes > SpecLimits.MaxBytes)
        {
            return Failed(TooLarge(bytes));
        }

        return ParseChecked(text);
    }

    public static ParsedSpec Parse(ReadOnlySpan<byte> utf8)
    {
        // Sizes are checked before decoding so an oversized input costs nothing more.
        if (utf8.Length > SpecLimits.MaxBytes)
        {
            return Failed(TooLarge(utf8.Length));
        }

        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || utf8.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Failed(new SpecError(FieldPath.Root, SpecPosition.Start, "the spec is UTF-16; write it as UTF-8"));
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException invalid)
        {
            var valid = StrictUtf8.GetString(utf8[..Math.Max(0, FirstInvalidByte(utf8))]);
            return Failed(new SpecError(FieldPath.Root, PositionOf(valid, valid.Length), $"the spec is not valid UTF-8 ({invalid.Message.TrimEnd('.')})"));
        }

        return ParseChecked(text);
    }

    private static ParsedSpec ParseChecked(string text)
    {
        if (DisallowedCharacter(text) is { } bad)
        {
            return Failed(new SpecError(
                FieldPath.Root,
                PositionOf(text, bad),
                $"the text contains the character U+{(int)text[bad]:X4}, which YAML does not allow; write it as an escape in a double-quoted string"));
        }

        var (root, errors, positions) = YamlSpecReader.Read(text);
        return new ParsedSpec(errors, new SpecPositionMap(positions), root);
    }

    private static ParsedSpec Failed(SpecError error) => new([error], SpecPositionMap.Empty, null);

    private static SpecError TooLarge(int bytes) =>
        new(FieldPath.Root, SpecPosition.Start, $"the spec is {bytes} bytes; the limit is {SpecLimits.MaxBytes}");

    // YAML admits tab, line breaks and printable characters only (YAML 1.2, c-printable); YamlDotNet is more lenient.
    private static int? DisallowedCharacter(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var allowed = c is '\t' or '\n' or '\r' or '\u0085'
                || (c >= ' ' && c <= '~')
                || (c >= '\u00A0' && c <= '\uFFFD' && c != '\uFEFF');
            if (!allowed)
            {
                return i;
            }
        }

        return null;
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> utf8)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(utf8, new char[utf8.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? utf8.Length : read;
    }

    private static SpecPosition PositionOf(string text, int index)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < index && i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                line++;
                column = 1;
            }
            else if (text[i] != '\r')
            {
                column++;
            }
        }

        return new SpecPosition(line, column);
    }
}
