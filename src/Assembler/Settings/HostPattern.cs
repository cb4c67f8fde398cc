using System.Text.RegularExpressions;
using OrasAssemble.Text;

namespace OrasAssemble.Settings;

/// <summary>
/// A key of the <c>registries:</c> map: <c>host</c>, <c>host:port</c>, or one of two wildcards:
/// <c>*.example.com</c> (any subdomain, at any depth, but not example.com itself) and <c>host:*</c>
/// (any port, or none). Both may be combined: <c>*.example.com:*</c>. Matching ignores case.
/// </summary>
internal sealed partial record HostPattern(string Key, string Host, bool HostIsWildcard, string? Port)
{
    private const string AnyPort = "*";

    public bool IsExact => !HostIsWildcard && Port != AnyPort;

    /// <summary>Parses a key, or returns null with the reason when it is not a host pattern.</summary>
    public static HostPattern? TryParse(string key, out string problem)
    {
        if (!TrySplit(key, out var host, out var port))
        {
            problem = Explain(key);
            return null;
        }

        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        var name = wildcard ? host[2..] : host;
        if (!IsHostName(name) || (port is not null && port != AnyPort && !IsPort(port)))
        {
            problem = Explain(key);
            return null;
        }

        problem = "";
        return new HostPattern(key.ToLowerInvariant(), name.ToLowerInvariant(), wildcard, port);
    }

    /// <summary>Whether <paramref name="value"/> is a plain <c>host[:port]</c>, as mirrors must be.</summary>
    public static bool IsHostAndPort(string value) =>
        TrySplit(value, out var host, out var port) && IsHostName(host) && (port is null || IsPort(port));

    public bool Matches(string registry)
    {
        if (!TrySplit(registry, out var host, out var port))
        {
            return false;
        }

        var hostMatches = HostIsWildcard
            ? host.Length > Host.Length + 1 && host.EndsWith("." + Host, StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, Host, StringComparison.OrdinalIgnoreCase);
        return hostMatches && (Port == AnyPort || Port == port);
    }

    /// <summary>
    /// Orders wildcard patterns that match the same host: an exact host beats <c>*.</c>, a longer suffix beats a
    /// shorter one, an exact port beats <c>*</c>. Two different patterns matching one host never compare equal.
    /// </summary>
    public (int, int, int) Specificity => (HostIsWildcard ? 0 : 1, Host.Length, Port == AnyPort ? 0 : 1);

    private static bool TrySplit(string value, out string host, out string? port)
    {
        host = value;
        port = null;
        if (value.StartsWith('['))
        {
            // IPv6 literal: [::1] or [::1]:5000
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = value[..(close + 1)];
            var rest = value[(close + 1)..];
            if (rest.Length == 0)
            {
                return true;
            }

            if (rest[0] != ':')
            {
                return false;
            }

            port = rest[1..];
            return true;
        }

        var colon = value.LastIndexOf(':');
        if (colon >= 0)
        {
            host = value[..colon];
            port = value[(colon + 1)..];
        }

        return true;
    }

    private static bool IsHostName(string host) => HostName().IsMatch(host) || Ipv6Literal().IsMatch(host);

    private static bool IsPort(string port) => int.TryParse(port, out var number) && number is > 0 and <= 65535 && PortDigits().IsMatch(port);

    private static string Explain(string key)
    {
        var scheme = key.IndexOf("://", StringComparison.Ordinal);
        var host = scheme < 0 ? "" : key[(scheme + 3)..].Split('/')[0];
        if (host.Length > 0)
        {
            return $"{QuotedValue.Of(key)} is a URL; write the host only, e.g. {QuotedValue.Of(host)}";
        }

        return key.Contains('/', StringComparison.Ordinal)
            ? $"{QuotedValue.Of(key)} has a path; write the host only (host or host:port)"
            : $"{QuotedValue.Of(key)} is not a host pattern (host, host:port, *.domain, host:*)";
    }

    [GeneratedRegex(@"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostName();

    [GeneratedRegex(@"^\[[0-9A-Fa-f:.]+\]$", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Literal();

    [GeneratedRegex(@"^[0-9]{1,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex PortDigits();
}
