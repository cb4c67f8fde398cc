using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrasAssemble.Webhook.Pods;

internal sealed record Volume
{
    public string? Name { get; init; }

    public CsiVolumeSource? Csi { get; init; }

    /// <summary>The volume's other fields; the first one names its kind (<c>configMap</c>, <c>emptyDir</c>, …) in messages.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; init; }

    public string SourceKind => Csi is not null ? "csi" : Other?.Keys.FirstOrDefault() ?? "unknown";
}
