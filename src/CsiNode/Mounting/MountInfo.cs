using System.Globalization;
using System.Text;

namespace OrasAssemble.CsiNode.Mounting;

/// <summary>Reads <c>/proc/self/mountinfo</c> (proc(5)): one mount per line, paths with octal escapes.</summary>
internal static class MountInfo
{
    public const string SelfPath = "/proc/self/mountinfo";

    /// <summary>The mount point of every line (field 5), unescaped.</summary>
    public static IReadOnlySet<string> ParseMountPoints(string text)
    {
        var points = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(Unescape(fields[4]));
            }
        }

        return points;
    }

    /// <summary>The mount point of every line (field 5) and the root mounted there (field 4), unescaped; later lines win.</summary>
    public static IReadOnlyDictionary<string, string> ParseMountRoots(string text)
    {
        var roots = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                roots[Unescape(fields[4])] = Unescape(fields[3]);
            }
        }

        return roots;
    }

    /// <summary>The kernel writes space, tab, newline and backslash in paths as <c>\ooo</c>.</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString(CultureInfo.InvariantCulture)));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string text, int start) =>
        start + 3 <= text.Length && text.AsSpan(start, 3).IndexOfAnyExcept("01234567") < 0;
}
