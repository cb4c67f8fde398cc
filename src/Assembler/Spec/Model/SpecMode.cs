using System.Diagnostics.CodeAnalysis;

namespace OrasAssemble.Spec.Model;

/// <summary>Permission bits as the spec writes them: three or four octal digits, e.g. <c>0644</c>.</summary>
internal static class SpecMode
{
    public const UnixFileMode SpecialBits = UnixFileMode.SetUser | UnixFileMode.SetGroup;

    public static bool TryParse(string? text, [NotNullWhen(true)] out UnixFileMode? mode)
    {
        mode = null;
        if (text is null || text.Length is < 3 or > 4 || !text.All(c => c is >= '0' and <= '7'))
        {
            return false;
        }

        mode = (UnixFileMode)Convert.ToInt32(text, 8);
        return true;
    }

    public static UnixFileMode Parse(string text) =>
        TryParse(text, out var mode) ? mode.Value : throw new FormatException(Problem(text));

    /// <summary>What is wrong with the text, or null.</summary>
    public static string? Problem(string text) =>
        TryParse(text, out _) ? null : $"\"{SpecPath.Show(text)}\" is not an octal mode of 3 or 4 digits, such as \"0644\" or \"0755\"";

    /// <summary>The canonical four-digit form.</summary>
    public static string Format(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    /// <summary>Whether the mode sets the setuid or setgid bit.</summary>
    public static bool SetsSpecialBits(UnixFileMode mode) => (mode & SpecialBits) != 0;
}
