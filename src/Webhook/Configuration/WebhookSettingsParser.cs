using System.Text.RegularExpressions;
using OrasAssemble.Settings;
using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Webhook.Configuration;

/// <summary>
/// Reads the <c>webhook:</c> section of a host settings file, collecting every problem with its line and column.
/// Other top-level sections belong to other readers; whether the file is YAML at all is decided by
/// <see cref="SettingsFile"/>.
/// </summary>
internal sealed partial class WebhookSettingsParser
{
    public const string SectionKey = "webhook";
    public const string NamespacesKey = "namespaces";

    private static readonly string[] Keys = [NamespacesKey];

    private readonly string fileName;
    private readonly List<HostSettingsError> errors = [];

    private WebhookSettingsParser(string fileName) => this.fileName = fileName;

    /// <exception cref="HostSettingsException">The text is not YAML, or the section has any problem at all.</exception>
    public static WebhookSettings Parse(string yaml, string fileName) => Read(SettingsFile.Parse(yaml, fileName));

    /// <exception cref="HostSettingsException">The section has any problem at all.</exception>
    public static WebhookSettings Read(SettingsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var parser = new WebhookSettingsParser(file.FileName);
        var settings = parser.ReadSection(file.Section(SectionKey));
        return parser.errors.Count > 0 ? throw new HostSettingsException(file.FileName, parser.errors) : settings;
    }

    private WebhookSettings ReadSection(YamlNode? section)
    {
        if (section is null || SettingsYaml.IsNull(section))
        {
            return WebhookSettings.Default;
        }

        if (section is not YamlMappingNode map)
        {
            Error(section.Start, $"\"{SectionKey}\" must be a mapping with any of {string.Join(", ", Keys)}");
            return WebhookSettings.Default;
        }

        var settings = WebhookSettings.Default;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case NamespacesKey:
                    settings = settings with { Namespaces = Namespaces(valueNode, $"{SectionKey}.{key}") };
                    break;
                default:
                    Error(keyNode.Start, $"{SectionKey}: unknown key {QuotedValue.Of(key)} (known keys: {string.Join(", ", Keys)})");
                    break;
            }
        }

        return settings;
    }

    private HashSet<string>? Namespaces(YamlNode node, string path)
    {
        if (SettingsYaml.IsNull(node))
        {
            return null;
        }

        if (node is not YamlSequenceNode { Children.Count: > 0 } sequence)
        {
            Error(node.Start, $"{path} must be a list of one or more namespace names; leave it out to serve every namespace");
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { } name } && !SettingsYaml.IsNull(item) && NamespaceName().IsMatch(name))
            {
                names.Add(name);
            }
            else
            {
                var found = item is YamlScalarNode { Value: { } value } ? $"{QuotedValue.Of(value)}" : "not a name";
                Error(item.Start, $"{path}: {found} is not a namespace name (lowercase letters, digits and '-', at most 63)");
            }
        }

        return names;
    }

    private void Error(Mark mark, string message) =>
        errors.Add(new HostSettingsError(fileName, (int)mark.Line, (int)mark.Column, message));

    // A DNS label (RFC 1123), which is what Kubernetes allows as a namespace name.
    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceName();
}
