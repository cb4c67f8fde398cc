using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Outputs;
using OrasAssemble.Settings;
using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.CsiNode.Configuration;

/// <summary>
/// Reads the node config file: <c>registries:</c>, <c>transfer:</c> and <c>limits:</c> through the library's readers
/// (the CLI reads them too), and the plugin's own sections (<c>cache</c>, <c>tenancy</c>, <c>namespaces</c>, <c>credentials</c>; <c>outputs</c> through its reader) here. Every problem in the file is
/// reported at once, with its line and column; an unknown key is a problem, so a typo never silently does nothing.
/// </summary>
internal sealed partial class NodeConfigParser
{
    private static readonly string[] TopKeys = ["registries", "transfer", "cache", "limits", "tenancy", "namespaces", "credentials", "outputs"];
    private static readonly string[] CacheKeys = ["budget", "minIdle", "gcInterval"];
    private static readonly string[] TenancyKeys = ["enforce", "allowPlainHttp", "allowInsecure", "verifiedFor"];
    private static readonly string[] CredentialKeys = ["podPullSecrets", "apiTimeout", "cacheFor"];
    private static readonly string[] RuleKeys = ["registries", "repositories"];

    private readonly List<HostSettingsError> _errors = [];
    private readonly SettingsValueReader _values;

    private NodeConfigParser(string fileName) => _values = new SettingsValueReader(fileName, _errors);

    public static async Task<NodeConfig> LoadAsync(string path, CancellationToken cancellationToken) =>
        Read(await SettingsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false));

    /// <exception cref="HostSettingsException">Anything in the file is wrong; all problems are in the exception.</exception>
    public static NodeConfig Parse(string yaml, string fileName) => Read(SettingsFile.Parse(yaml, fileName));

    /// <exception cref="HostSettingsException">Anything in the file is wrong; all problems are in the exception.</exception>
    public static NodeConfig Read(SettingsFile file)
    {
        var parser = new NodeConfigParser(file.FileName);
        var registries = HostSettings.Empty;
        try
        {
            registries = HostSettings.Read(file);
        }
        catch (HostSettingsException e)
        {
            parser._errors.AddRange(e.Errors);
        }

        var transfer = TransferSettings.Default;
        try
        {
            transfer = TransferSettings.Read(file);
        }
        catch (HostSettingsException e)
        {
            parser._errors.AddRange(e.Errors);
        }

        var config = parser.ReadSections(file) with { Registries = registries, Transfer = transfer };
        if (parser._errors.Count > 0)
        {
            throw new HostSettingsException(file.FileName, [.. parser._errors.DistinctBy(e => (e.Line, e.Column, e.Message)).OrderBy(e => e.Line).ThenBy(e => e.Column)]);
        }

        return config;
    }

    private NodeConfig ReadSections(SettingsFile file)
    {
        var config = NodeConfig.Default;
        foreach (var (keyNode, value) in file.Entries)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "registries" or "transfer":
                    break;
                case "cache":
                    config = config with { Cache = ParseCache(value) };
                    break;
                case "limits":
                    config = config with { Limits = LimitSettingsParser.Read(value, _values) };
                    break;
                case "tenancy":
                    config = config with { Tenancy = ParseTenancy(value) };
                    break;
                case "namespaces":
                    config = config with { Namespaces = ParseNamespaces(value) };
                    break;
                case "credentials":
                    config = config with { Credentials = ParseCredentials(value) };
                    break;
                case "outputs":
                    config = config with { Outputs = OutputSettingsParser.Read(value, _values) };
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

    private TenancySettings ParseTenancy(YamlNode node)
    {
        var settings = new TenancySettings();
        foreach (var (key, value) in Entries(node, "tenancy", TenancyKeys))
        {
            if (key == "verifiedFor")
            {
                // 0 turns remembering off; any other window is at least a second.
                settings = settings with
                {
                    VerifiedFor = value is YamlScalarNode { Style: ScalarStyle.Plain, Value: "0" or "0s" } ? TimeSpan.Zero : Duration(value, "tenancy.verifiedFor", TimeSpan.FromSeconds(1)),
                };
                continue;
            }

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

    private CredentialSettings ParseCredentials(YamlNode node)
    {
        var settings = new CredentialSettings();
        foreach (var (key, value) in Entries(node, "credentials", CredentialKeys))
        {
            settings = key switch
            {
                "podPullSecrets" => settings with { PodPullSecrets = Boolean(value, "credentials.podPullSecrets") },
                "apiTimeout" => settings with { ApiTimeout = BoundedDuration(value, "credentials.apiTimeout", TimeSpan.FromSeconds(1), CredentialSettings.MaxApiTimeout) },
                _ => settings with { CacheFor = BoundedDuration(value, "credentials.cacheFor", TimeSpan.FromSeconds(1), CredentialSettings.MaxCacheFor) },
            };
        }

        return settings;
    }

    private TimeSpan BoundedDuration(YamlNode node, string path, TimeSpan min, TimeSpan max)
    {
        var value = Duration(node, path, min);
        if (value > max)
        {
            Error(node, $"{path} must be at most {SettingsDuration.Format(max)}, found {SettingsYaml.Describe(node)}");
            return max;
        }

        return value;
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

    private IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string path, string[] known) => _values.Entries(node, path, known);

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

    private long Quantity(YamlNode node, string path, bool allowZero) => _values.Quantity(node, path, allowZero);

    private TimeSpan Duration(YamlNode node, string path, TimeSpan min) => _values.Duration(node, path, min);

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

    private static string Unknown(string? key, string path, string[] known) => SettingsValueReader.Unknown(key, path, known);

    private void Error(YamlNode node, string message) => _values.Error(node, message);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceName();

    [GeneratedRegex("^[A-Za-z0-9.-]+(:[0-9]{1,5})?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostOnly();

    [GeneratedRegex("^[A-Za-z0-9.-]+(:[0-9]{1,5})?/[a-z0-9._/-]*[a-z0-9](/\\*)?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryPattern();
}
