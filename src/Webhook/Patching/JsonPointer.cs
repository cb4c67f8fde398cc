using System.Text;

namespace OrasAssemble.Webhook.Patching;

/// <summary>RFC 6901 JSON Pointers built from unescaped reference tokens.</summary>
internal static class JsonPointer
{
    /// <summary>The token that names the position after an array's last element (RFC 6902 "add").</summary>
    public const string EndOfArray = "-";

    /// <summary>
    /// A pointer to the location the tokens name, each escaped: <c>~</c> becomes <c>~0</c> and <c>/</c> becomes <c>~1</c>
    /// (in that order, so a <c>/</c> does not turn into <c>~01</c>). Annotation keys such as
    /// <c>assemble.oras.land/spec</c> contain a slash.
    /// </summary>
    public static string Create(params IEnumerable<object> tokens)
    {
        var pointer = new StringBuilder();
        foreach (var token in tokens)
        {
            var text = token switch
            {
                string s => s,
                int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"a JSON Pointer token is a string or an array index, not {token.GetType().Name}", nameof(tokens)),
            };
            pointer.Append('/').Append(Escape(text));
        }

        return pointer.ToString();
    }

    public static string Escape(string token) =>
        token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
