
namespace OrasAssemble.Registry;

/// <summary>
/// Reads RFC 8288 <c>Link</c> headers, which registries use to paginate tag lists, catalogs and referrers:
/// <c>&lt;/v2/foo/tags/list?last=b&amp;n=2&gt;; rel="next"</c>.
/// </summary>
internal static class LinkHeader
{
    /// <summary>
    /// The target of the first link whose <c>rel</c> includes <c>next</c>, exactly as written between the angle
    /// brackets (usually relative; the caller resolves it against the request URI), or null when there is none.
    /// Malformed links are skipped.
    /// </summary>
    public static string? Next(IEnumerable<string> linkHeaderValues)
    {
        ArgumentNullException.ThrowIfNull(linkHeaderValues);
        foreach (var value in linkHeaderValues)
        {
            if (value is null)
            {
                continue;
            }

            var position = 0;
            while (TryReadLink(value, ref position, out var target, out var relations))
            {
                if (target is not null && relations.Contains("next", StringComparer.OrdinalIgnoreCase))
                {
                    return target;
                }
            }
        }

        return null;
    }

    // Reads one link-value starting at position and leaves position after its trailing comma.
    // target is null when the link is malformed; false only at the end of the text.
    private static bool TryReadLink(string text, ref int position, out string? target, out string[] relations)
    {
        target = null;
        relations = [];
        while (position < text.Length && (text[position] is ' ' or '\t' or ','))
        {
            position++;
        }

        if (position >= text.Length)
        {
            return false;
        }

        if (text[position] != '<')
        {
            HeaderSyntax.SkipPastComma(text, ref position);
            return true;
        }

        var close = text.IndexOf('>', position);
        if (close < 0)
        {
            position = text.Length;
            return true;
        }

        var uri = text[(position + 1)..close].Trim();
        position = close + 1;
        string? rel = null;
        while (true)
        {
            SkipSpace(text, ref position);
            if (position >= text.Length || text[position] == ',')
            {
                break;
            }

            if (text[position] != ';')
            {
                // Junk after the target: the link cannot be trusted.
                HeaderSyntax.SkipPastComma(text, ref position);
                return true;
            }

            position++;
            SkipSpace(text, ref position);
            var nameStart = position;
            while (position < text.Length && text[position] is not ('=' or ';' or ',' or ' ' or '\t'))
            {
                position++;
            }

            var name = text[nameStart..position];
            SkipSpace(text, ref position);
            string? parameter = null;
            if (position < text.Length && text[position] == '=')
            {
                position++;
                SkipSpace(text, ref position);
                parameter = ReadValue(text, ref position);
            }

            // RFC 8288: only the first rel counts.
            if (rel is null && parameter is not null && name.Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                rel = parameter;
            }
        }

        target = uri;
        relations = rel?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries) ?? [];
        return true;
    }

    private static string ReadValue(string text, ref int position)
    {
        if (position < text.Length && text[position] == '"')
        {
            return HeaderSyntax.ReadQuoted(text, ref position);
        }

        var start = position;
        while (position < text.Length && text[position] is not (';' or ',' or ' ' or '\t'))
        {
            position++;
        }

        return text[start..position];
    }

    private static void SkipSpace(string text, ref int position)
    {
        while (position < text.Length && text[position] is ' ' or '\t')
        {
            position++;
        }
    }
}
