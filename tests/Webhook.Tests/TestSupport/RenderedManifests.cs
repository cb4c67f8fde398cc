using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>What <c>kubectl kustomize</c> rendered, one JSON object per Kubernetes object (scalars as strings).</summary>
internal sealed class RenderedManifests
{
    private RenderedManifests(IReadOnlyList<JsonObject> objects) => Objects = objects;

    public IReadOnlyList<JsonObject> Objects { get; }

    public static async Task<RenderedManifests> RenderAsync(string directory)
    {
        var result = await ProcessRunner.RunAsync("kubectl", ["kustomize", directory]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {directory} failed ({result.ExitCode}): {result.Stderr}");
        return Parse(result.Stdout);
    }

    public static RenderedManifests Parse(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var objects = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToJson(deserializer.Deserialize<object?>(parser)) is JsonObject item)
            {
                objects.Add(item);
            }
        }

        return new RenderedManifests(objects);
    }

    /// <summary>The one object of this kind (and name, when given).</summary>
    public JsonObject Single(string kind, string? name = null) =>
        Assert.Single(Objects, o => (string?)o["kind"] == kind && (name is null || (string?)o["metadata"]!["name"] == name));

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(p => KeyValuePair.Create((string)p.Key, ToJson(p.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(value.ToString()),
    };
}
