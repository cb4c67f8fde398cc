using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// Reads the <c>registries:</c> section of a host settings file into patterns and settings, collecting every
/// problem with its line and column. Other top-level sections belong to other readers; whether the file is YAML at
/// all is decided by <see cref="SettingsFile"/>.
/// </summary>
internal sealed class HostSettingsParser
{
    public const string RegistriesKey = "registries";
    public const string PlainHttpKey = "plainHttp";
    public const string InsecureKey = "insecure";
    public const string MirrorsKey = "mirrors";
    public const string MirrorTimeoutKey = "mirrorTimeout";

    private static readonly TimeSpan MinMirrorTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxMirrorTimeout = TimeSpan.FromMinutes(10);
    private static readonly string[] EntryKeys = [PlainHttpKey, InsecureKey, MirrorsKey, MirrorTimeoutKey];

    private readonly string fileName;
    private readonly List<HostSettingsError> errors = [];

    private HostSettingsParser(string fileName) => this.fileName = fileName;

    /// <exception cref="HostSettingsException">The <c>registries:</c> section has any problem at all.</exception>
    public static IReadOnlyList<KeyValuePair<HostPattern, RegistrySettings>> Read(SettingsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var parser = new HostSettingsParser(file.FileName);
        var result = parser.ReadSection(file.Section(RegistriesKey));
        if (parser.errors.Count > 0)
        {
            throw new HostSettingsException(file.FileName, parser.errors);
        }

        return result;
    }

    private List<KeyValuePair<HostPattern, RegistrySettings>> ReadSection(YamlNode? registries)
    {
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
                case MirrorTimeoutKey:
                    settings = settings with { MirrorTimeout = MirrorTimeout(valueNode, $"{path}.{key}") };
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

    private TimeSpan MirrorTimeout(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } text } && !SettingsYaml.IsNull(node) && SettingsDuration.TryParse(text, out var timeout)
            && timeout >= MinMirrorTimeout && timeout <= MaxMirrorTimeout)
        {
            return timeout;
        }

        Error(node.Start, $"{path} must be a duration from 100ms to 10m such as 5s, found {SettingsYaml.Describe(node)}");
        return RegistrySettings.DefaultMirrorTimeout;
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
