namespace OrasAssemble.CsiNode.Transport;

/// <summary>
/// Whether an <c>:authority</c> is a host with an optional port: a DNS name or IPv4 address (letters, digits, '-',
/// '.', '_') or a bracketed IPv6 address, then ':' and up to five digits. Stricter than what Kestrel accepts, so any
/// value that passes is one Kestrel serves; a socket path (raw or percent-encoded) does not pass.
/// </summary>
internal static class HostAuthority
{
    public static bool IsValid(string authority)
    {
        if (authority.Length == 0)
        {
            return true;
        }

        var host = authority.AsSpan();
        ReadOnlySpan<char> port = default;
        if (host[0] == '[')
        {
            var close = host.IndexOf(']');
            if (close < 2 || !AllOf(host[1..close], c => char.IsAsciiHexDigit(c) || c is ':' or '.'))
            {
                return false;
            }

            var rest = host[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest[1..];
                if (port.Length == 0)
                {
                    return false;
                }
            }
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                port = host[(colon + 1)..];
                host = host[..colon];
                if (port.Length == 0)
                {
                    return false;
                }
            }

            if (host.Length == 0 || !AllOf(host, c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }

        return port.Length <= 5 && AllOf(port, char.IsAsciiDigit);
    }

    private static bool AllOf(ReadOnlySpan<char> text, Func<char, bool> allowed)
    {
        foreach (var c in text)
        {
            if (!allowed(c))
            {
                return false;
            }
        }

        return true;
    }
}
