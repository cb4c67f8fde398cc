using System.Text;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// Builds and takes apart the field paths errors are reported with: <c>steps[2].copy.to</c>,
/// <c>sources.app.annotations["org.opencontainers.image.title"]</c>. The document itself is the empty path.
/// </summary>
internal static class FieldPath
{
    public const string Root = "";

    public static string Property(string parent, string key)
    {
        if (IsPlainKey(key))
        {
            return parent.Length == 0 ? key : parent + "." + key;
        }

        var quoted = new StringBuilder(parent, parent.Length + key.Length + 4);
        quoted.Append("[\"");
        AppendEscaped(quoted, key);
        quoted.Append("\"]");
        return quoted.ToString();
    }

    public static string Index(string parent, int index) => parent + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    /// <summary>The indexer FluentValidation appends for a key: <c>.key</c> or <c>["key"]</c>.</summary>
    public static string KeyIndexer(string key)
    {
        var path = Property("x", key);
        return path[1..];
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="ancestor"/> or lies inside it.</summary>
    public static bool IsWithin(string path, string ancestor)
    {
        if (ancestor.Length == 0 || path == ancestor)
        {
            return true;
        }

        return path.Length > ancestor.Length
            && path.StartsWith(ancestor, StringComparison.Ordinal)
            && path[ancestor.Length] is '.' or '[';
    }

    /// <summary>The path one level up, or null for the root.</summary>
    public static string? Parent(string path)
    {
        if (path.Length == 0)
        {
            return null;
        }

        var cut = 0;
        var i = 0;
        while (i < path.Length)
        {
            switch (path[i])
            {
                case '.':
                    cut = i;
                    i++;
                    break;
                case '[' when i + 1 < path.Length && path[i + 1] == '"':
                    cut = i;
                    i = SkipQuoted(path, i + 2);
                    break;
                case '[':
                    cut = i;
                    i++;
                    break;
                default:
                    i++;
                    break;
            }
        }

        return path[..cut];
    }

    private static int SkipQuoted(string path, int i)
    {
        while (i < path.Length)
        {
            if (path[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (path[i] == '"')
            {
                return i + 1;
            }

            i++;
        }

        return i;
    }

    private static bool IsPlainKey(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$');

    private static void AppendEscaped(StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case < ' ' or '\u007f':
                    builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
    }
}
