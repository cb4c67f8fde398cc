using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// Reads the <c>transfer:</c> section of a host settings file, collecting every problem with its line and column.
/// Other top-level sections belong to other readers; whether the file is YAML at all is decided by
/// <see cref="SettingsFile"/>.
/// </summary>
internal sealed class TransferSettingsParser
{
    public const string SectionKey = "transfer";
    public const string ResponseTimeoutKey = "responseTimeout";
    public const string IdleTimeoutKey = "idleTimeout";

    /// <summary>Bounds of both timeouts: under a second every slow link fails; over an hour nothing is bounded.</summary>
    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    private const string BoundsText = "1s to 1h";

    private static readonly string[] Keys = [ResponseTimeoutKey, IdleTimeoutKey];

    private readonly string fileName;
    private readonly List<HostSettingsError> errors = [];

    private TransferSettingsParser(string fileName) => this.fileName = fileName;

    /// <exception cref="HostSettingsException">The section has any problem at all.</exception>
    public static TransferSettings Read(SettingsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var parser = new TransferSettingsParser(file.FileName);
        var settings = parser.ReadSection(file.Section(SectionKey));
        return parser.errors.Count > 0 ? throw new HostSettingsException(file.FileName, parser.errors) : settings;
    }

    private TransferSettings ReadSection(YamlNode? section)
    {
        if (section is null || SettingsYaml.IsNull(section))
        {
            return TransferSettings.Default;
        }

        if (section is not YamlMappingNode map)
        {
            Error(section.Start, $"\"{SectionKey}\" must be a mapping with any of {string.Join(", ", Keys)}, found {SettingsYaml.Describe(section)}");
            return TransferSettings.Default;
        }

        var settings = TransferSettings.Default;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case ResponseTimeoutKey:
                    settings = settings with { ResponseTimeout = Timeout(valueNode, key, settings.ResponseTimeout) };
                    break;
                case IdleTimeoutKey:
                    settings = settings with { IdleTimeout = Timeout(valueNode, key, settings.IdleTimeout) };
                    break;
                default:
                    Error(keyNode.Start, UnknownKey(key));
                    break;
            }
        }

        return settings;
    }

    private TimeSpan Timeout(YamlNode node, string key, TimeSpan fallback)
    {
        if (SettingsYaml.IsNull(node))
        {
            return fallback;
        }

        if (node is YamlScalarNode { Value: { } text } && SettingsDuration.TryParse(text, out var value) && value >= MinTimeout && value <= MaxTimeout)
        {
            return value;
        }

        Error(node.Start, $"{SectionKey}.{key} must be a duration from {BoundsText} such as 60s, 2m or 1m30s, found {SettingsYaml.Describe(node)}");
        return fallback;
    }

    private static string UnknownKey(string? key)
    {
        var message = $"{SectionKey}: unknown key \"{key}\" (known keys: {string.Join(", ", Keys)})";
        var close = key is null ? null : Keys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)
            || string.Equals(k, key.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
        return close is null ? message : $"{message}; did you mean \"{close}\"?";
    }

    private void Error(Mark mark, string message) =>
        errors.Add(new HostSettingsError(fileName, (int)mark.Line, (int)mark.Column, message));
}
