using System.Globalization;
using System.Text.RegularExpressions;

namespace OrasAssemble.Settings;

/// <summary>
/// Durations written as Kubernetes components write them: <c>500ms</c>, <c>5s</c>, <c>10m</c>, <c>1h</c>, or a
/// combination such as <c>1m30s</c>. The one grammar for durations in flags and in the shared settings file.
/// </summary>
public static partial class SettingsDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || !Grammar().IsMatch(text))
        {
            return false;
        }

        foreach (Match part in Part().Matches(text))
        {
            var value = double.Parse(part.Groups["value"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            duration += part.Groups["unit"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        return true;
    }

    public static string Format(TimeSpan duration) => duration.TotalMilliseconds % 1000 == 0
        ? $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
        : $"{duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    [GeneratedRegex(@"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    [GeneratedRegex(@"(?<value>[0-9]+(?:\.[0-9]+)?)(?<unit>ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
