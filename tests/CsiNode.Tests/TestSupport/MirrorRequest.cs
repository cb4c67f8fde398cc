using System.Globalization;
using System.Text.RegularExpressions;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>One line of the mirror's access log (the template's <c>oras_mirror</c> format).</summary>
internal sealed partial record MirrorRequest(string Method, string Path, int StatusCode, long BodyBytes, string CacheStatus)
{
    public static bool TryParse(string line, out MirrorRequest? request)
    {
        var match = Line().Match(line);
        request = match.Success
            ? new MirrorRequest(match.Groups["method"].Value, match.Groups["path"].Value,
                int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups["bytes"].Value, CultureInfo.InvariantCulture), match.Groups["cache"].Value)
            : null;
        return match.Success;
    }

    [GeneratedRegex("""^\S+ \[[^\]]+\] "(?<method>[A-Z]+) (?<path>\S+) HTTP/[0-9.]+" (?<status>\d{3}) (?<bytes>\d+) cache=(?<cache>\S+) """)]
    private static partial Regex Line();
}
