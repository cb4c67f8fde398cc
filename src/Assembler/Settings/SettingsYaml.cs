using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// The YAML helpers every reader of the shared settings file (registries, node config, webhook) builds its
/// messages from; the file itself is read by <see cref="SettingsFile"/>.
/// </summary>
public static class SettingsYaml
{
    /// <summary>A YAML 1.2 core-schema null: an untagged plain <c>~</c>, <c>null</c> (any case form) or nothing.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" } scalar
        && scalar.Tag.IsEmpty;

    /// <summary>A node as an error message names what was found instead of what was expected.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => $"the string {QuotedValue.Of(s.Value)}",
        YamlScalarNode s when IsNull(s) => "nothing",
        YamlScalarNode s => QuotedValue.Of(s.Value),
        _ => "something else",
    };
}
