using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.JsonPatch;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>What the webhook answered to one review: the HTTP status and the review it sent back.</summary>
internal sealed record ReviewAnswer(HttpStatusCode StatusCode, JsonObject Body)
{
    public JsonObject Response => Body["response"]!.AsObject();

    public string? Uid => (string?)Response["uid"];

    public bool Allowed => (bool)Response["allowed"]!;

    public int? Code => (int?)Response["status"]?["code"];

    public string? Reason => (string?)Response["status"]?["reason"];

    public string Message => (string?)Response["status"]?["message"] ?? "";

    public string? PatchType => (string?)Response["patchType"];

    public IReadOnlyList<string> Warnings => Response["warnings"]?.AsArray().Select(w => (string)w!).ToList() ?? [];

    /// <summary>The decoded JSON Patch, or null when the answer has none.</summary>
    public JsonArray? Patch => Response["patch"] is { } patch
        ? JsonNode.Parse(Convert.FromBase64String((string)patch!))!.AsArray()
        : null;

    /// <summary>
    /// Applies the patch to the pod in <paramref name="review"/> with Microsoft.AspNetCore.JsonPatch (an RFC 6902
    /// implementation independent of the webhook's) and returns the resulting pod.
    /// </summary>
    public JObject ApplyTo(JsonObject review)
    {
        var pod = JObject.Parse(Reviews.Pod(review).ToJsonString());
        if (Patch is { } patch)
        {
            var document = JsonConvert.DeserializeObject<JsonPatchDocument>(patch.ToJsonString())!;
            document.ApplyTo(pod);
        }

        return pod;
    }

    public static async Task<ReviewAnswer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("admission.k8s.io/v1", (string?)body["apiVersion"]);
        Assert.Equal("AdmissionReview", (string?)body["kind"]);
        return new ReviewAnswer(response.StatusCode, body);
    }

    public override string ToString() => $"{(int)StatusCode} {Body.ToJsonString()}{(Patch is { } p ? " patch " + p.ToJsonString() : "")}";
}
