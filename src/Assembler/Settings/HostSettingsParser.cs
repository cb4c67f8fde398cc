using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// Reads the <c>registries:</c> section of a host settings file into patterns and settings, collecting every
/// problem with its line and column. Other top-level sections belong to other readers and are skipped.
/// </summary>
internal sealed class HostSettingsParser
{
    public const string RegistriesKey = "registries";
    public const string PlainHttpKey = "plainHttp";
    public const string InsecureKey = "insecure";
    public const string MirrorsKey = "mirrors";

    private static readonly string[] EntryKeys = [PlainHttpKey, InsecureKey, MirrorsKey];

    private readonly string fileName;
    private readonly List<HostSettingsError> errors = [];

    private HostSettingsParser(string fileName) => this.fileName = fileName;

    /// <exception cref="HostSettingsException">The text has any problem at all.</exception>
    public static IReadOnlyList<KeyValuePair<HostPattern, RegistrySettings>> Parse(string yaml, string fileName)
    {
        var parser = new HostSettingsParser(fileName);
        var result = parser.ParseDocument(yaml);
        if (parser.errors.Count > 0)
        {
            throw new HostSettingsException(fileName, parser.errors);
        }

        return result;
    }

    private List<KeyValuePair<HostPattern, RegistrySettings>> ParseDocument(string yaml)
    {
        var stream = new YamlStream();
        var yamlParser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(yamlParser);
        }
        catch (YamlException e)
        {
            Error(e.Start, $"not valid YAML: {e.Message}");
            return [];
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16 throws this instead of a YamlException for some malformed input (an unclosed "[").
            Error(yamlParser.Current?.End ?? Mark.Empty, "not valid YAML: a collection or scalar is not closed");
            return [];
        }

        if (stream.Documents.Count == 0 || SettingsYaml.IsNull(stream.Documents[0].RootNode))
        {
            return [];
        }

        if (stream.Documents.Count > 1)
        {
            Error(stream.Documents[1].RootNode.Start, "expected one YAML document, found several");
            return [];
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error(stream.Documents[0].RootNode.Start, $"expected a mapping with a \"{RegistriesKey}:\" section at the top level");
            return [];
        }

        var registries = root.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: RegistriesKey }).Value;
        if (registries is null || SettingsYaml.IsNull(registries))
        {
            return [];
        }

        if (registries is not YamlMappingNode map)
        {
            Error(registries.Start, $"\"{RegistriesKey}\" must be a mapping of registry host to settings");
            return [];
        }

        var result = new List<KeyValuePair<HostPattern, RegistrySettings>>();
        var seen = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                Error(keyNode.Start, $"keys of \"{RegistriesKey}\" must be host names");
                continue;
            }

            var pattern = HostPattern.TryParse(key, out var problem);
            if (pattern is null)
            {
                Error(keyNode.Start, $"{RegistriesKey}: {problem}");
                continue;
            }

            if (seen.TryGetValue(pattern.Key, out var first))
            {
                Error(keyNode.Start, $"{RegistriesKey}: {QuotedValue.Of(key)} is listed twice (first at line {first.Start.Line}); host names ignore case");
                continue;
            }

            seen.Add(pattern.Key, keyNode);
            var settings = ParseEntry(valueNode, $"{RegistriesKey}.{QuotedValue.Of(key)}");
            if (settings is not null)
            {
                result.Add(new(pattern, settings));
            }
        }

        return result;
    }

    private RegistrySettings? ParseEntry(YamlNode node, string path)
    {
        if (SettingsYaml.IsNull(node))
        {
            return RegistrySettings.Default;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node.Start, $"{path} must be a mapping with any of {string.Join(", ", EntryKeys)}");
            return null;
        }

        var errorsBefore = errors.Count;
        var settings = RegistrySettings.Default;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case PlainHttpKey:
                    settings = settings with { PlainHttp = Boolean(valueNode, $"{path}.{key}") };
                    break;
                case InsecureKey:
                    settings = settings with { Insecure = Boolean(valueNode, $"{path}.{key}") };
                    break;
                case MirrorsKey:
                    settings = settings with { Mirrors = Mirrors(valueNode, $"{path}.{key}") };
                    break;
                default:
                    Error(keyNode.Start, UnknownKey(key, path));
                    break;
            }
        }

        return errors.Count == errorsBefore ? settings : null;
    }

    private bool Boolean(YamlNode node, string path)
    {
        if (SettingsYaml.IsNull(node))
        {
            return false;
        }

        if (node is YamlScalarNode { Value: { } value } scalar
            && (scalar.Style == ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == "tag:yaml.org,2002:bool")))
        {
            switch (value)
            {
                case "true" or "True" or "TRUE":
                    return true;
                case "false" or "False" or "FALSE":
                    return false;
            }
        }

        Error(node.Start, $"{path} must be true or false, found {SettingsYaml.Describe(node)}");
        return false;
    }

    private List<string> Mirrors(YamlNode node, string path)
    {
        if (SettingsYaml.IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(node.Start, $"{path} must be a list of hosts (host or host:port), found {SettingsYaml.Describe(node)}");
            return [];
        }

        var mirrors = new List<string>();
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } mirror } && !SettingsYaml.IsNull(item) && HostPattern.IsHostAndPort(mirror))
            {
                mirrors.Add(mirror.ToLowerInvariant());
            }
            else
            {
                Error(item.Start, $"{path}: each mirror must be a host or host:port without scheme or path, found {SettingsYaml.Describe(item)}");
            }
        }

        return mirrors;
    }

    private static string UnknownKey(string? key, string path)
    {
        if (key is null)
        {
            return $"{path}: keys must be plain names ({string.Join(", ", EntryKeys)})";
        }

        var message = $"{path}: unknown key {QuotedValue.Of(key)} (known keys: {string.Join(", ", EntryKeys)})";
        var close = EntryKeys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)
            || string.Equals(k, key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        return close is null ? message : $"{message}; did you mean {QuotedValue.Of(close)}?";
    }

    private void Error(Mark mark, string message) =>
        errors.Add(new HostSettingsError(fileName, (int)mark.Line, (int)mark.Column, message));
}
