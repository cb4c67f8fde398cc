using OrasAssemble.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// What every reader of the shared settings file (registries, node config, webhook) needs alike: reading the file
/// with one "not found" error, and the YAML helpers its messages are built from.
/// </summary>
public static class SettingsYaml
{
    /// <exception cref="HostSettingsException">The file does not exist.</exception>
    public static async Task<string> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HostSettingsException(path, [new HostSettingsError(path, 0, 0, "file not found")]);
        }
    }

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
