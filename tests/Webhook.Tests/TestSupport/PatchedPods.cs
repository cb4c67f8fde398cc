using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>Pods before and after a webhook's patch, compared whole.</summary>
internal static class PatchedPods
{
    public static JObject OriginalPod(JsonObject review) => JObject.Parse(Reviews.Pod(review).ToJsonString());

    public static List<string> Paths(ReviewAnswer answer) =>
        answer.Patch?.Select(op => (string)op!["path"]!).ToList() ?? [];

    public static void AssertPod(JObject expected, JObject actual) =>
        Assert.True(JToken.DeepEquals(expected, actual), $"expected pod:\n{expected}\nactual pod:\n{actual}");
}
