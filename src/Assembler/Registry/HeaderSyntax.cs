using System.Text;

namespace OrasAssemble.Registry;

/// <summary>The bits of RFC 9110 header syntax that <c>WWW-Authenticate</c> and <c>Link</c> share.</summary>
internal static class HeaderSyntax
{
    /// <summary>Reads a quoted-string starting at the opening quote; an unterminated one keeps what it had.</summary>
    public static string ReadQuoted(string text, ref int position)
    {
        position++;
        var value = new StringBuilder();
        while (position < text.Length && text[position] != '"')
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                position++;
            }

            value.Append(text[position]);
            position++;
        }

        if (position < text.Length)
        {
            position++;
        }

        return value.ToString();
    }

    /// <summary>Moves to the next top-level comma (or the end), stepping over quoted strings.</summary>
    public static void SkipPastComma(string text, ref int position)
    {
        var quoted = false;
        while (position < text.Length)
        {
            var c = text[position];
            if (quoted && c == '\\')
            {
                position++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                break;
            }

            position++;
        }
    }
}
