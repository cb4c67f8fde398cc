using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrasAssemble.Tests.Fixtures;

/// <summary>One request as the registry's access log recorded it.</summary>
/// <param name="Method">HTTP method, e.g. <c>GET</c>.</param>
/// <param name="Path">The request target as sent: path and query, still percent-encoded.</param>
/// <param name="StatusCode">The status the registry answered with.</param>
/// <param name="ResponseBytes">Body bytes written, as logged.</param>
/// <param name="UserAgent">The client's User-Agent header ("" when absent).</param>
public sealed partial record RegistryRequest(string Method, string Path, int StatusCode, long ResponseBytes, string UserAgent)
{
    /// <summary>
    /// Parses one line of the access log distribution writes through gorilla's combined-log handler:
    /// <c>127.0.0.1 - - [22/Nov/2026:04:55:55 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"</c>.
    /// Anything else (the registry's own logrus lines, blank lines) yields <c>false</c>.
    /// </summary>
    public static bool TryParse(string line, out RegistryRequest? request)
    {
        request = null;
        var match = CombinedLogLine().Match(line);
        if (!match.Success)
        {
            return false;
        }

        var bytes = match.Groups["bytes"].Value;
        request = new RegistryRequest(
            match.Groups["method"].Value,
            Unquote(match.Groups["uri"].Value),
            int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
            bytes == "-" ? 0 : long.Parse(bytes, CultureInfo.InvariantCulture),
            match.Groups["agent"].Success ? Unquote(match.Groups["agent"].Value) : "");
        return true;
    }

    /// <summary>The path without its query string.</summary>
    public string PathWithoutQuery => Path.IndexOf('?', StringComparison.Ordinal) is var i and >= 0 ? Path[..i] : Path;

    // Go's quoting escapes backslash, quote and control bytes; only the first two survive in practice.
    private static string Unquote(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }

            builder.Append(value[i]);
        }

        return builder.ToString();
    }

    // Leading and trailing noise is tolerated so a prefixed or timestamped line still parses.
    [GeneratedRegex("""
        (?<client>\S+)[ ]\S+[ ]\S+[ ]\[(?<time>[^\]]+)\][ ]
        "(?<method>[A-Z]+)[ ](?<uri>(?:[^"\\\s]|\\.)+)[ ]HTTP/[0-9.]+"[ ]
        (?<status>\d{3})[ ](?<bytes>\d+|-)
        (?:[ ]"(?<referer>(?:[^"\\]|\\.)*)"[ ]"(?<agent>(?:[^"\\]|\\.)*)")?
        """, RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex CombinedLogLine();
}
