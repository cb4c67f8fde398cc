
namespace OrasAssemble.Registry.Auth;

/// <summary>
/// One authentication challenge from a <c>WWW-Authenticate</c> header (RFC 7235), e.g.
/// <c>Bearer realm="https://auth.docker.io/token",service="registry.docker.io"</c>.
/// The scheme and parameter names are case-insensitive, so both are kept lowercase.
/// </summary>
internal sealed record Challenge
{
    private static readonly IReadOnlyDictionary<string, string> EmptyParameters =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase).AsReadOnly();

    private readonly string scheme = "";
    private readonly IReadOnlyDictionary<string, string> parameters = EmptyParameters;

    public Challenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
    {
        this.Scheme = Scheme;
        this.Parameters = Parameters;
    }

    /// <summary>The auth scheme in lowercase, e.g. <c>bearer</c> or <c>basic</c>.</summary>
    public string Scheme
    {
        get => scheme;
        init => scheme = (value ?? throw new ArgumentNullException(nameof(value))).ToLowerInvariant();
    }

    /// <summary>The auth-params by lowercase name; lookups ignore case.</summary>
    public IReadOnlyDictionary<string, string> Parameters
    {
        get => parameters;
        init => parameters = Normalize(value ?? throw new ArgumentNullException(nameof(value)));
    }

    public string? Realm => Parameter("realm");

    public string? Service => Parameter("service");

    public string? Scope => Parameter("scope");

    /// <summary>Set by a registry that refused a token, e.g. <c>insufficient_scope</c> or <c>invalid_token</c>.</summary>
    public string? Error => Parameter("error");

    public void Deconstruct(out string Scheme, out IReadOnlyDictionary<string, string> Parameters)
    {
        Scheme = this.Scheme;
        Parameters = this.Parameters;
    }

    /// <summary>
    /// All challenges in the given header values, in order. Malformed parts are skipped and whatever could be
    /// read is returned; this never throws, because a registry's odd header should fail authentication, not the parser.
    /// token68 credentials (as in <c>Negotiate abc==</c>) carry no parameters and are dropped.
    /// </summary>
    public static IReadOnlyList<Challenge> Parse(IEnumerable<string> wwwAuthenticateHeaderValues)
    {
        ArgumentNullException.ThrowIfNull(wwwAuthenticateHeaderValues);
        var challenges = new List<Challenge>();
        foreach (var value in wwwAuthenticateHeaderValues)
        {
            if (value is not null)
            {
                new HeaderReader(value).ReadInto(challenges);
            }
        }

        return challenges;
    }

    // Parameters compare by content, so two parses of the same header are equal.
    public bool Equals(Challenge? other) =>
        other is not null
        && Scheme == other.Scheme
        && Parameters.Count == other.Parameters.Count
        && Parameters.All(p => other.Parameters.TryGetValue(p.Key, out var v) && v == p.Value);

    public override int GetHashCode() => HashCode.Combine(Scheme, Parameters.Count);

    private string? Parameter(string name) => Parameters.TryGetValue(name, out var value) ? value : null;

    private static IReadOnlyDictionary<string, string> Normalize(IReadOnlyDictionary<string, string> source)
    {
        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in source)
        {
            copy.TryAdd(name.ToLowerInvariant(), value);
        }

        return copy.AsReadOnly();
    }

    // Commas separate both parameters and challenges, so a name decides: "name=" continues the current
    // challenge, a bare name starts the next one.
    private sealed class HeaderReader(string text)
    {
        private const string TokenSymbols = "!#$%&'*+-.^_`|~";
        private const string Token68Symbols = "-._~+/";

        private int position;

        public void ReadInto(List<Challenge> challenges)
        {
            string? scheme = null;
            Dictionary<string, string>? parameters = null;
            while (true)
            {
                SkipSpaceAndCommas();
                if (AtEnd)
                {
                    break;
                }

                var name = ReadToken();
                if (name.Length == 0)
                {
                    SkipPastComma();
                    continue;
                }

                var afterName = position;
                SkipSpace();
                if (Peek == '=')
                {
                    position++;
                    SkipSpace();
                    var value = Peek == '"' ? ReadQuoted() : ReadBareValue();

                    // A parameter before any scheme belongs to nothing; the first of a repeated name wins.
                    parameters?.TryAdd(name.ToLowerInvariant(), value);
                    SkipSpace();
                    if (!AtEnd && Peek != ',')
                    {
                        SkipPastComma();
                    }

                    continue;
                }

                if (scheme is not null)
                {
                    challenges.Add(new Challenge(scheme, parameters!));
                }

                scheme = name;
                parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                position = afterName;
                SkipSpace();
                SkipToken68();
            }

            if (scheme is not null)
            {
                challenges.Add(new Challenge(scheme, parameters!));
            }
        }

        private bool AtEnd => position >= text.Length;

        private char Peek => AtEnd ? '\0' : text[position];

        private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || TokenSymbols.Contains(c);

        private static bool IsToken68Char(char c) => char.IsAsciiLetterOrDigit(c) || Token68Symbols.Contains(c);

        private void SkipSpace()
        {
            while (!AtEnd && (Peek == ' ' || Peek == '\t'))
            {
                position++;
            }
        }

        private void SkipSpaceAndCommas()
        {
            while (!AtEnd && (Peek == ' ' || Peek == '\t' || Peek == ','))
            {
                position++;
            }
        }

        private string ReadToken()
        {
            var start = position;
            while (!AtEnd && IsTokenChar(Peek))
            {
                position++;
            }

            return text[start..position];
        }

        // Registries are meant to quote values but some do not; take everything up to the next separator.
        private string ReadBareValue()
        {
            var start = position;
            while (!AtEnd && Peek != ',' && Peek != ' ' && Peek != '\t')
            {
                position++;
            }

            return text[start..position];
        }

        private string ReadQuoted() => HeaderSyntax.ReadQuoted(text, ref position);

        private void SkipPastComma() => HeaderSyntax.SkipPastComma(text, ref position);

        // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", alone up to a comma or the end.
        private int Token68EndAt(int start)
        {
            var i = start;
            while (i < text.Length && IsToken68Char(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return -1;
            }

            while (i < text.Length && text[i] == '=')
            {
                i++;
            }

            var end = i;
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
            {
                i++;
            }

            return i == text.Length || text[i] == ',' ? end : -1;
        }

        private void SkipToken68()
        {
            var end = Token68EndAt(position);
            if (end >= 0)
            {
                position = end;
            }
        }
    }
}
