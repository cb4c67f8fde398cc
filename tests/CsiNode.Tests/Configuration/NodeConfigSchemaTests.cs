using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Tests.TestSupport;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Configuration;

/// <summary>
/// The editor schema (schemas/csi-node-config.v1.schema.json), the plugin's own reader, the documented example and
/// the shipped config agree.
/// </summary>
public sealed partial class NodeConfigSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(RepositoryFiles.PathOf("schemas", "csi-node-config.v1.schema.json"))).GetAwaiter().GetResult());

    public static TheoryData<string> Configs => new()
    {
        "docs/csi-node.md",
        "deploy/csi/node-config.yaml",
        "deploy/csi/components/pod-pull-secrets/node-config.yaml",
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Documented_and_shipped_configs_pass_both_the_schema_and_the_plugin(string file)
    {
        var text = File.ReadAllText(RepositoryFiles.PathOf(file));
        var yaml = file.EndsWith(".md", StringComparison.Ordinal) ? DocumentedExample().Match(text).Groups["yaml"].Value : text;
        Assert.NotEmpty(yaml);

        NodeConfigParser.Parse(yaml, file);
        Assert.Empty(Schema.Value.Validate(ToJson(yaml)));
    }

    [Theory]
    [InlineData("cache: { budjet: 1Gi }")]
    [InlineData("tenancy: { enforce: \"yes\" }")]
    [InlineData("limits: { concurrency: 0 }")]
    [InlineData("cache: { minIdle: 10 }")]
    [InlineData("namespaces: { team: { registries: [\"https://ghcr.io\"] } }")]
    [InlineData("caches: {}")]
    [InlineData("transfer: { idle: 60s }")]
    [InlineData("transfer: { idleTimeout: 60 }")]
    [InlineData("credentials: { podPullSecrets: \"true\" }")]
    [InlineData("credentials: { apiTimeout: 5 }")]
    [InlineData("credentials: { podPullSecret: true }")]
    [InlineData("outputs: { maxFile: 10 }")]
    [InlineData("outputs: { parallelism: 0 }")]
    public void What_the_plugin_refuses_the_schema_flags_too(string yaml)
    {
        Assert.ThrowsAny<Exception>(() => NodeConfigParser.Parse(yaml, "c.yaml"));
        Assert.NotEmpty(Schema.Value.Validate(ToJson(yaml)));
    }

    private static string ToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? "{}" : Convert(stream.Documents[0].RootNode).ToString();
    }

    /// <summary>YAML 1.2 core schema: plain true/false, integers and null have types; everything else is a string.</summary>
    private static JToken Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JObject(map.Children.Select(c => new JProperty(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode list => new JArray(list.Children.Select(Convert)),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } => JValue.CreateNull(),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } s => new JValue(s.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } s when long.TryParse(s.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => new JValue(n),
        YamlScalarNode s => new JValue(s.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };


    [GeneratedRegex("## Node config.*?```yaml\\n(?<yaml>.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex DocumentedExample();
}
