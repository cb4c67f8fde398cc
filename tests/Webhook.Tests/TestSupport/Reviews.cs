using System.Text.Json.Nodes;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// Admission reviews shaped exactly as the API server sends them, from the JSON files under Reviews/. Values that
/// depend on the test run are written <c>{{NAME}}</c> in the files and filled in here.
/// </summary>
internal static class Reviews
{
    public static JsonObject Load(string name, IReadOnlyDictionary<string, string> values)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reviews", name + ".json"));
        foreach (var (key, value) in values)
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }

        if (text.Contains("{{", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"review {name} has a placeholder no value was given for");
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    public static JsonObject Pod(JsonObject review) => review["request"]!["object"]!.AsObject();

    public static JsonObject Annotate(JsonObject review, string key, string value)
    {
        var metadata = Pod(review)["metadata"]!.AsObject();
        if (metadata["annotations"] is not JsonObject annotations)
        {
            annotations = [];
            metadata["annotations"] = annotations;
        }

        annotations[key] = value;
        return review;
    }
}
