using System.Globalization;
using System.Text.RegularExpressions;
using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// Reads the values of the settings file's sections (mappings of known keys, whole numbers, sizes, durations) the
/// same way for every section and host, collecting each problem with its line and column instead of stopping.
/// </summary>
public sealed partial class SettingsValueReader(string fileName, ICollection<HostSettingsError> errors)
{
    public string FileName => fileName;

    public void Error(YamlNode node, string message)
    {
        ArgumentNullException.ThrowIfNull(node);
        errors.Add(new HostSettingsError(fileName, (int)node.Start.Line, (int)node.Start.Column, message));
    }

    /// <summary>The entries of a mapping whose keys must be among <paramref name="known"/>; null values are left out.</summary>
    public IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string path, string[] known)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(known);
        if (SettingsYaml.IsNull(node))
        {
            yield break;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, $"{path} must be a mapping with any of {string.Join(", ", known)}");
            yield break;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            if (key is not null && known.Contains(key, StringComparer.Ordinal))
            {
                if (!SettingsYaml.IsNull(value))
                {
                    yield return (key, value);
                }
            }
            else
            {
                Error(keyNode, Unknown(key, path, known));
            }
        }
    }

    public long Integer(YamlNode node, string path, long min, long max)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text }
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(node, $"{path} must be a whole number from {min} to {max}, found {SettingsYaml.Describe(node)}");
        return min;
    }

    /// <summary>Bytes as Kubernetes writes quantities: <c>1048576</c>, <c>20Gi</c>, <c>500Mi</c>, <c>1G</c>.</summary>
    public long Quantity(YamlNode node, string path, bool allowZero)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is YamlScalarNode { Value: { } text } && QuantityText().Match(text) is { Success: true } match
            && long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var unit = match.Groups["unit"].Value switch
            {
                "" => 1L,
                "k" or "K" => 1000L,
                "M" => 1000L * 1000,
                "G" => 1000L * 1000 * 1000,
                "T" => 1000L * 1000 * 1000 * 1000,
                "Ki" => 1L << 10,
                "Mi" => 1L << 20,
                "Gi" => 1L << 30,
                _ => 1L << 40,
            };
            if (number <= long.MaxValue / unit && (allowZero || number > 0))
            {
                return number * unit;
            }
        }

        Error(node, $"{path} must be a {(allowZero ? "" : "positive ")}size such as 20Gi, 500Mi or 1048576, found {SettingsYaml.Describe(node)}");
        return allowZero ? 0 : 1;
    }

    /// <summary>A duration with one unit: <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>500ms</c>.</summary>
    public TimeSpan Duration(YamlNode node, string path, TimeSpan min)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is YamlScalarNode { Value: { } text } && DurationText().Match(text) is { Success: true } match
            && int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var value = match.Groups["unit"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromHours(number),
            };
            if (value >= min)
            {
                return value;
            }
        }

        Error(node, string.Create(CultureInfo.InvariantCulture,
            $"{path} must be a duration of at least {min.TotalSeconds:0.###}s such as 90s, 10m or 2h, found {SettingsYaml.Describe(node)}"));
        return min;
    }

    /// <summary>"unknown key" for <paramref name="key"/> under <paramref name="path"/>, suggesting a key that differs only in case.</summary>
    public static string Unknown(string? key, string path, string[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        var message = $"{path}: unknown key {QuotedValue.Of(key)} (known keys: {string.Join(", ", known)})";
        var close = key is null ? null : known.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        return close is null ? message : $"{message}; did you mean {QuotedValue.Of(close)}?";
    }

    [GeneratedRegex("^(?<n>[0-9]{1,18})(?<unit>|k|K|M|G|T|Ki|Mi|Gi|Ti)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex QuantityText();

    [GeneratedRegex("^(?<n>[0-9]{1,9})(?<unit>ms|s|m|h)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationText();
}
