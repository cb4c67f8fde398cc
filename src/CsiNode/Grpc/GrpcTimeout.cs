using System.Globalization;

namespace OrasAssemble.CsiNode.Grpc;

/// <summary>The <c>grpc-timeout</c> header: 1 to 8 digits and a unit (H, M, S, m, u, n).</summary>
internal static class GrpcTimeout
{
    public const string HeaderName = "grpc-timeout";

    public static bool TryParse(string? text, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2 || text.Length > 9)
        {
            return false;
        }

        var digits = text.AsSpan(0, text.Length - 1);
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var value = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        timeout = text[^1] switch
        {
            'H' => TimeSpan.FromHours(value),
            'M' => TimeSpan.FromMinutes(value),
            'S' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMilliseconds(value),
            'u' => TimeSpan.FromMicroseconds(value),
            'n' => TimeSpan.FromTicks(value / 100),
            _ => TimeSpan.MinValue,
        };
        return timeout != TimeSpan.MinValue;
    }

    /// <summary>The header value for <paramref name="timeout"/>, in whole milliseconds (at least 1).</summary>
    public static string Format(TimeSpan timeout) =>
        Math.Clamp((long)Math.Ceiling(timeout.TotalMilliseconds), 1, 99_999_999).ToString(CultureInfo.InvariantCulture) + "m";
}
