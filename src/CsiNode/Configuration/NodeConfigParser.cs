using System.Globalization;
using System.Text.RegularExpressions;
using OrasAssemble.Execution;
using OrasAssemble.Registry.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Configuration;

/// <summary>
/// Reads the node config file: <c>registries:</c> through the shared host settings reader, and the plugin's own
/// sections (<c>cache</c>, <c>limits</c>, <c>tenancy</c>, <c>namespaces</c>) here. Every problem in the file is
/// reported at once, with its line and column; an unknown key is a problem, so a typo never silently does nothing.
/// </summary>
internal sealed partial class NodeConfigParser
{
    private static readonly string[] TopKeys = ["registries", "cache", "limits", "tenancy", "namespaces"];
    private static readonly string[] CacheKeys = ["budget", "minIdle", "gcInterval"];
    private static readonly string[] LimitKeys = ["concurrency", "maxConcurrency", "maxFileBytes", "maxTotalBytes", "maxEntries", "publishWait"];
    private static readonly string[] TenancyKeys = ["enforce", "allowPlainHttp", "allowInsecure"];
    private static readonly string[] RuleKeys = ["registries", "repositories"];

    private readonly string _fileName;
    private readonly List<HostSettingsError> _errors = [];

    private NodeConfigParser(string fileName) => _fileName = fileName;

    public static async Task<NodeConfig> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await SettingsYaml.ReadFileAsync(path, cancellationToken).ConfigureAwait(false);

        return Parse(text, path);
    }

    /// <exception cref="HostSettingsException">Anything in the file is wrong; all problems are in the exception.</exception>
    public static NodeConfig Parse(string yaml, string fileName)
    {
        var parser = new NodeConfigParser(fileName);
        var registries = HostSettings.Empty;
        try
        {
            registries = HostSettings.Parse(yaml, fileName);
        }
        catch (HostSettingsException e)
        {
            parser._errors.AddRange(e.Errors);
        }

        var config = parser.ParseSections(yaml) with { Registries = registries };
        if (parser._errors.Count > 0)
        {
            throw new HostSettingsException(fileName, [.. parser._errors.DistinctBy(e => (e.Line, e.Column, e.Message)).OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        }

        return config;
    }

    private NodeConfig ParseSections(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // The registries reader has reported the syntax error with its position.
            return NodeConfig.Default;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return NodeConfig.Default;
        }

        var config = NodeConfig.Default;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "registries":
                    break;
                case "cache":
                    config = config with { Cache = ParseCache(value) };
                    break;
                case "limits":
                    config = config with { Limits = ParseLimits(value) };
                    break;
                case "tenancy":
                    config = config with { Tenancy = ParseTenancy(value) };
                    break;
                case "namespaces":
                    config = config with { Namespaces = ParseNamespaces(value) };
                    break;
                default:
                    Error(keyNode, Unknown(key, "the top level", TopKeys));
                    break;
            }
        }

        return config;
    }

    private CacheSettings ParseCache(YamlNode node)
    {
        var settings = new CacheSettings();
        foreach (var (key, value) in Entries(node, "cache", CacheKeys))
        {
            settings = key switch
            {
                "budget" => settings with { Budget = Quantity(value, "cache.budget", allowZero: true) },
                "minIdle" => settings with { MinIdle = Duration(value, "cache.minIdle", TimeSpan.FromMinutes(1)) },
                _ => settings with { GcInterval = Duration(value, "cache.gcInterval", TimeSpan.FromSeconds(1)) },
            };
        }

        return settings;
    }

    private LimitSettings ParseLimits(YamlNode node)
    {
        var settings = new LimitSettings();
        var extraction = ExtractionLimits.Default;
        foreach (var (key, value) in Entries(node, "limits", LimitKeys))
        {
            var path = "limits." + key;
            switch (key)
            {
                case "concurrency":
                    settings = settings with { Concurrency = (int)Integer(value, path, 1, 64) };
                    break;
                case "maxConcurrency":
                    settings = settings with { MaxConcurrency = (int)Integer(value, path, 1, 64) };
                    break;
                case "maxFileBytes":
                    extraction = extraction with { MaxFileBytes = Quantity(value, path, allowZero: false) };
                    break;
                case "maxTotalBytes":
                    extraction = extraction with { MaxTotalBytes = Quantity(value, path, allowZero: false) };
                    break;
                case "maxEntries":
                    extraction = extraction with { MaxEntries = (int)Integer(value, path, 1, int.MaxValue) };
                    break;
                default:
                    settings = settings with { PublishWait = Duration(value, path, TimeSpan.FromSeconds(1)) };
                    break;
            }
        }

        if (settings.Concurrency > settings.MaxConcurrency)
        {
            Error(node, $"limits.concurrency ({settings.Concurrency}) is more than limits.maxConcurrency ({settings.MaxConcurrency})");
        }

        return settings with { Extraction = extraction };
    }

    private TenancySettings ParseTenancy(YamlNode node)
    {
        var settings = new TenancySettings();
        foreach (var (key, value) in Entries(node, "tenancy", TenancyKeys))
        {
            var flag = Boolean(value, "tenancy." + key);
            settings = key switch
            {
                "enforce" => settings with { Enforce = flag },
                "allowPlainHttp" => settings with { AllowPlainHttp = flag },
                _ => settings with { AllowInsecure = flag },
            };
        }

        return settings;
    }

    private Dictionary<string, NamespaceRule> ParseNamespaces(YamlNode node)
    {
        var rules = new Dictionary<string, NamespaceRule>(StringComparer.Ordinal);
        if (SettingsYaml.IsNull(node))
        {
            return rules;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, "namespaces must be a mapping of namespace (or \"*\") to its allow-lists");
            return rules;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } name } || (name != "*" && !NamespaceName().IsMatch(name)))
            {
                Error(keyNode, $"namespaces: {QuotedValue.Of((keyNode as YamlScalarNode)?.Value)} is not a namespace name (a DNS label) or \"*\"");
                continue;
            }

            if (rules.ContainsKey(name))
            {
                Error(keyNode, $"namespaces: {QuotedValue.Of(name)} is listed twice");
                continue;
            }

            var path = $"namespaces.{QuotedValue.Of(name)}";
            var registries = new List<string>();
            var repositories = new List<string>();
            foreach (var (key, list) in Entries(value, path, RuleKeys))
            {
                foreach (var item in Strings(list, $"{path}.{key}"))
                {
                    var valid = key == "registries" ? HostOnly().IsMatch(item) : RepositoryPattern().IsMatch(item);
                    if (!valid)
                    {
                        Error(list, key == "registries"
                            ? $"{path}.registries: {QuotedValue.Of(item)} is not a registry host (host or host:port)"
                            : $"{path}.repositories: {QuotedValue.Of(item)} is not host/repository or host/repository/*");
                    }
                    else
                    {
                        (key == "registries" ? registries : repositories).Add(item.ToLowerInvariant());
                    }
                }
            }

            rules[name] = new NamespaceRule(registries, repositories);
        }

        return rules;
    }

    // ---- values ------------------------------------------------------------------------------------------------

    private IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string path, string[] known)
    {
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

    private bool Boolean(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "True" or "TRUE" })
        {
            return true;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "false" or "False" or "FALSE" })
        {
            return false;
        }

        Error(node, $"{path} must be true or false, found {SettingsYaml.Describe(node)}");
        return false;
    }

    private long Integer(YamlNode node, string path, long min, long max)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text }
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Error(node, $"{path} must be a whole number from {min} to {max}, found {SettingsYaml.Describe(node)}");
        return min;
    }

    /// <summary>Bytes as Kubernetes writes quantities: <c>1048576</c>, <c>20Gi</c>, <c>500Mi</c>, <c>1G</c>.</summary>
    private long Quantity(YamlNode node, string path, bool allowZero)
    {
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
    private TimeSpan Duration(YamlNode node, string path, TimeSpan min)
    {
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

        Error(node, $"{path} must be a duration of at least {min.TotalSeconds:0.###}s such as 90s, 10m or 2h, found {SettingsYaml.Describe(node)}");
        return min;
    }

    private List<string> Strings(YamlNode node, string path)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{path} must be a list of strings, found {SettingsYaml.Describe(node)}");
            return [];
        }

        var values = new List<string>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } value } && !SettingsYaml.IsNull(item))
            {
                values.Add(value);
            }
            else
            {
                Error(item, $"{path}: each entry must be a string, found {SettingsYaml.Describe(item)}");
            }
        }

        return values;
    }

    private static string Unknown(string? key, string path, string[] known)
    {
        var message = $"{path}: unknown key {QuotedValue.Of(key)} (known keys: {string.Join(", ", known)})";
        var close = key is null ? null : known.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
        return close is null ? message : $"{message}; did you mean {QuotedValue.Of(close)}?";
    }

    private void Error(YamlNode node, string message) =>
        _errors.Add(new HostSettingsError(_fileName, (int)node.Start.Line, (int)node.Start.Column, message));

    [GeneratedRegex("^(?<n>[0-9]{1,18})(?<unit>|k|K|M|G|T|Ki|Mi|Gi|Ti)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex QuantityText();

    [GeneratedRegex("^(?<n>[0-9]{1,9})(?<unit>ms|s|m|h)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex DurationText();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceName();

    [GeneratedRegex("^[A-Za-z0-9.-]+(:[0-9]{1,5})?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostOnly();

    [GeneratedRegex("^[A-Za-z0-9.-]+(:[0-9]{1,5})?/[a-z0-9._/-]*[a-z0-9](/\\*)?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();
}
