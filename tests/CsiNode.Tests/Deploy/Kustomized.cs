using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.CsiNode.Tests.Deploy;

/// <summary>Manifests as <c>kubectl kustomize</c> renders a directory, and the few ways the deploy tests walk them.</summary>
internal static class Kustomized
{
    /// <summary>Every object <c>kubectl kustomize <paramref name="directory"/></c> prints; a failing render fails the test.</summary>
    public static List<YamlMappingNode> Render(string directory)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var kubectl = Process.Start(start)!;
        var output = kubectl.StandardOutput.ReadToEndAsync();
        var error = kubectl.StandardError.ReadToEnd();
        kubectl.WaitForExit();
        Assert.True(kubectl.ExitCode == 0, $"kubectl kustomize {directory} failed: {error}");
        var stream = new YamlStream();
        stream.Load(new StringReader(output.Result));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    public static YamlMappingNode Map(YamlMappingNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = (YamlMappingNode)node.Children[new YamlScalarNode(key)];
        }

        return node;
    }

    public static IEnumerable<YamlNode> Seq(YamlMappingNode node, string key) => ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children;

    /// <summary>The scalar at <paramref name="key"/>, or "" when there is none.</summary>
    public static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : "";
}
