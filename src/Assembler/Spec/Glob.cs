using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using OrasAssemble.Text;

namespace OrasAssemble.Spec;

/// <summary>
/// A path pattern, matched against '/'-separated paths relative to some directory. <c>*</c> matches any run
/// of characters within one name, <c>?</c> one character, <c>[a-z]</c> / <c>[!a-z]</c> one character of / not
/// of a set, <c>**</c> (a whole segment) any number of names — at least one when it ends the pattern, so
/// <c>dir/**</c> is what is inside dir, not dir itself — and <c>\</c> escapes the next character. Patterns
/// are anchored at both ends and case-sensitive; names starting with '.' get no special treatment. A leading
/// '/' is allowed and changes nothing. Matching costs at most the product of pattern and path lengths.
/// </summary>
internal sealed class Glob
{
    private readonly Segment?[] segments;

    private Glob(string pattern, Segment?[] segments)
    {
        Pattern = pattern;
        this.segments = segments;
    }

    public string Pattern { get; }

    /// <exception cref="FormatException">The pattern is malformed; the message says how.</exception>
    public static Glob Parse(string pattern) =>
        TryParse(pattern, out var glob, out var problem) ? glob : throw new FormatException($"invalid glob {QuotedValue.Of(pattern)}: {problem}");

    public static bool TryParse(string pattern, [NotNullWhen(true)] out Glob? glob, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        glob = null;
        problem = Compile(pattern, out var segments);
        if (problem is not null)
        {
            return false;
        }

        glob = new Glob(pattern, segments!);
        return true;
    }

    /// <summary>What is wrong with a pattern, or null when it is well formed.</summary>
    public static string? Problem(string pattern) => TryParse(pattern, out _, out var problem) ? null : problem;

    /// <summary>Whether the pattern matches <paramref name="path"/> (relative; a leading or trailing '/' is ignored).</summary>
    public bool IsMatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var names = path.Split('/', StringSplitOptions.RemoveEmptyEntries);

        // Greedy matching with backtracking to the last '**', the same scheme as for '*' within a name.
        int pi = 0, ni = 0, starPattern = -1, starName = 0;
        while (ni < names.Length)
        {
            if (pi < segments.Length && segments[pi] is null)
            {
                starPattern = pi++;
                starName = ni;
            }
            else if (pi < segments.Length && segments[pi]!.IsMatch(names[ni]))
            {
                pi++;
                ni++;
            }
            else if (starPattern >= 0)
            {
                pi = starPattern + 1;
                ni = ++starName;
            }
            else
            {
                return false;
            }
        }

        while (pi < segments.Length && segments[pi] is null)
        {
            pi++;
        }

        return pi == segments.Length;
    }

    public override string ToString() => Pattern;

    private static string? Compile(string pattern, out Segment?[]? compiled)
    {
        compiled = null;
        if (pattern.Length == 0)
        {
            return "the pattern is empty";
        }

        var body = pattern.StartsWith('/') ? pattern[1..] : pattern;
        if (body.Length == 0)
        {
            return "\"/\" alone matches nothing; use \"**\" for everything";
        }

        if (body.EndsWith('/'))
        {
            return "a pattern must not end with '/'; write \"dir/**\" for everything under dir";
        }

        var result = new List<Segment?>();
        foreach (var text in SplitSegments(body))
        {
            switch (text)
            {
                case "":
                    return "the pattern has an empty segment ('//')";
                case "." or "..":
                    return "the pattern must not contain '.' or '..' segments";
                case "**":
                    // Consecutive '**' mean the same as one.
                    if (result.Count == 0 || result[^1] is not null)
                    {
                        result.Add(null);
                    }

                    continue;
            }

            var problem = Segment.Compile(text, out var segment);
            if (problem is not null)
            {
                return problem;
            }

            result.Add(segment);
        }

        // As in .gitignore, "dir/**" means everything inside dir but not dir itself: a trailing '**' needs at
        // least one name, which is the same as "dir/*/**".
        if (result[^1] is null)
        {
            result.Insert(result.Count - 1, new Segment([new Token(TokenKind.AnyRun, default, null, false)]));
        }

        compiled = [.. result];
        return null;
    }

    // Splits on '/' that are not escaped, keeping escapes in the segments for Segment.Compile.
    private static List<string> SplitSegments(string body)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\\')
            {
                i++;
            }
            else if (body[i] == '/')
            {
                parts.Add(body[start..i]);
                start = i + 1;
            }
        }

        parts.Add(body[start..]);
        return parts;
    }

    private enum TokenKind
    {
        Literal,
        AnyOne,
        AnyRun,
        Set,
    }

    private readonly record struct Token(TokenKind Kind, Rune Literal, (Rune Low, Rune High)[]? Ranges, bool Negated)
    {
        public bool Matches(Rune c) => Kind switch
        {
            TokenKind.Literal => c == Literal,
            TokenKind.AnyOne => true,
            TokenKind.Set => Ranges!.Any(range => c >= range.Low && c <= range.High) != Negated,
            _ => false,
        };
    }

    /// <summary>One name's worth of pattern.</summary>
    private sealed class Segment(Token[] tokens)
    {
        private readonly string? literal = tokens.All(t => t.Kind == TokenKind.Literal)
            ? string.Concat(tokens.Select(t => t.Literal.ToString()))
            : null;

        public static string? Compile(string text, out Segment? segment)
        {
            segment = null;
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                switch (c)
                {
                    case '*':
                        if (i + 1 < text.Length && text[i + 1] == '*')
                        {
                            return "'**' must be a whole path segment, as in \"a/**/b\"";
                        }

                        tokens.Add(new Token(TokenKind.AnyRun, default, null, false));
                        i++;
                        continue;
                    case '?':
                        tokens.Add(new Token(TokenKind.AnyOne, default, null, false));
                        i++;
                        continue;
                    case '[':
                        var problem = CompileSet(text, ref i, out var set);
                        if (problem is not null)
                        {
                            return problem;
                        }

                        tokens.Add(set);
                        continue;
                    case '{' or '}':
                        return "braces are not supported; write one pattern per alternative, or \\{ for a literal brace";
                    case ']':
                        return "']' has no matching '['; write \\] for a literal bracket";
                    case '\\':
                        if (i + 1 >= text.Length)
                        {
                            return "the pattern ends with an unfinished escape '\\'";
                        }

                        if (text[i + 1] == '/')
                        {
                            return "a name cannot contain '/', so '\\/' matches nothing";
                        }

                        i++;
                        break;
                }

                var literalProblem = ReadRune(text, ref i, out var rune);
                if (literalProblem is not null)
                {
                    return literalProblem;
                }

                tokens.Add(new Token(TokenKind.Literal, rune, null, false));
            }

            segment = new Segment([.. tokens]);
            return null;
        }

        public bool IsMatch(string name)
        {
            if (literal is not null)
            {
                return literal == name;
            }

            var runes = name.EnumerateRunes().ToArray();
            int pi = 0, si = 0, starPattern = -1, starText = 0;
            while (si < runes.Length)
            {
                if (pi < tokens.Length && tokens[pi].Kind == TokenKind.AnyRun)
                {
                    starPattern = pi++;
                    starText = si;
                }
                else if (pi < tokens.Length && tokens[pi].Matches(runes[si]))
                {
                    pi++;
                    si++;
                }
                else if (starPattern >= 0)
                {
                    pi = starPattern + 1;
                    si = ++starText;
                }
                else
                {
                    return false;
                }
            }

            while (pi < tokens.Length && tokens[pi].Kind == TokenKind.AnyRun)
            {
                pi++;
            }

            return pi == tokens.Length;
        }

        private static string? CompileSet(string text, ref int i, out Token set)
        {
            set = default;
            var open = i;
            i++;
            var negated = i < text.Length && text[i] is '!' or '^';
            if (negated)
            {
                i++;
            }

            var ranges = new List<(Rune, Rune)>();
            var first = true;
            while (true)
            {
                if (i >= text.Length)
                {
                    return $"'[' at position {open + 1} is not closed by ']'";
                }

                if (text[i] == ']' && !first)
                {
                    i++;
                    break;
                }

                if (text[i] == '[' && i + 1 < text.Length && text[i + 1] == ':')
                {
                    return "named classes such as [:alpha:] are not supported; list the characters, e.g. [a-zA-Z]";
                }

                var problem = ReadSetMember(text, ref i, out var low);
                if (problem is not null)
                {
                    return problem;
                }

                var high = low;
                if (i + 1 < text.Length && text[i] == '-' && text[i + 1] != ']')
                {
                    i++;
                    problem = ReadSetMember(text, ref i, out high);
                    if (problem is not null)
                    {
                        return problem;
                    }

                    if (high < low)
                    {
                        return $"range {low}-{high} is reversed; write {high}-{low}";
                    }
                }

                ranges.Add((low, high));
                first = false;
            }

            set = new Token(TokenKind.Set, default, [.. ranges], negated);
            return null;
        }

        private static string? ReadSetMember(string text, ref int i, out Rune rune)
        {
            rune = default;
            if (text[i] == '\\')
            {
                i++;
                if (i >= text.Length)
                {
                    return "the pattern ends with an unfinished escape '\\'";
                }

                if (text[i] == '/')
                {
                    return "a name cannot contain '/', so '\\/' matches nothing";
                }
            }

            return ReadRune(text, ref i, out rune);
        }

        private static string? ReadRune(string text, ref int i, out Rune rune)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out rune, out var length) != OperationStatus.Done)
            {
                return "the pattern contains invalid UTF-16";
            }

            if (Rune.IsControl(rune))
            {
                return $"the pattern contains the control character U+{rune.Value.ToString("X4", CultureInfo.InvariantCulture)}";
            }

            i += length;
            return null;
        }
    }
}
