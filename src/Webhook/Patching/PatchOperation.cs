using System.Text.Json.Nodes;

namespace OrasAssemble.Webhook.Patching;

/// <summary>One RFC 6902 operation. Only <c>add</c> and <c>replace</c> are needed: the webhook never removes anything.</summary>
internal sealed record PatchOperation(string Op, string Path, JsonNode? Value)
{
    public static PatchOperation Add(string path, JsonNode? value) => new("add", path, value);

    public static PatchOperation Replace(string path, JsonNode? value) => new("replace", path, value);
}
