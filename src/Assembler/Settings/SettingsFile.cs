using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Settings;

/// <summary>
/// The settings file shared by the CLI, the node plugin and the webhook, read and parsed once. Whether it is one YAML
/// mapping is decided here; each section's reader (<c>registries:</c>, <c>transfer:</c>, <c>limits:</c>, a host's own)
/// takes its section from it and reports only that section's problems.
/// </summary>
public sealed class SettingsFile
{
    private readonly YamlMappingNode? root;

    private SettingsFile(string fileName, YamlMappingNode? root)
    {
        FileName = fileName;
        this.root = root;
    }

    /// <summary>Named in every error of every section.</summary>
    public string FileName { get; }

    /// <summary>The top-level entries in file order; none for an empty document.</summary>
    public IReadOnlyList<KeyValuePair<YamlNode, YamlNode>> Entries => root is null ? [] : [.. root.Children];

    /// <summary>Reads a settings file. A missing file is an error: a path given explicitly should exist.</summary>
    /// <exception cref="HostSettingsException">The file is missing, is not YAML, or is not one mapping.</exception>
    public static async Task<SettingsFile> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HostSettingsException(path, [new HostSettingsError(path, 0, 0, "file not found")]);
        }

        return Parse(text, path);
    }

    /// <param name="yaml">The whole settings document.</param>
    /// <param name="fileName">Named in errors.</param>
    /// <exception cref="HostSettingsException">The text is not YAML, or is not one mapping.</exception>
    public static SettingsFile Parse(string yaml, string fileName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw Problem(fileName, e.Start, $"not valid YAML: {e.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16 throws this instead of a YamlException for some malformed input (an unclosed "[").
            throw Problem(fileName, parser.Current?.End ?? Mark.Empty, "not valid YAML: a collection or scalar is not closed");
        }

        if (stream.Documents.Count == 0 || SettingsYaml.IsNull(stream.Documents[0].RootNode))
        {
            return new SettingsFile(fileName, null);
        }

        if (stream.Documents.Count > 1)
        {
            throw Problem(fileName, stream.Documents[1].RootNode.Start, "expected one YAML document, found several");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw Problem(fileName, stream.Documents[0].RootNode.Start, $"expected a mapping with a \"{HostSettingsParser.RegistriesKey}:\" section at the top level");
        }

        return new SettingsFile(fileName, root);
    }

    /// <summary>The value of the top-level key <paramref name="key"/>, or null when the file has none.</summary>
    public YamlNode? Section(string key) =>
        root?.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: { } name } && name == key).Value;

    private static HostSettingsException Problem(string fileName, Mark mark, string message) =>
        new(fileName, [new HostSettingsError(fileName, (int)mark.Line, (int)mark.Column, message)]);
}
