using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrasAssemble.Webhook.Admission;

/// <summary>How admission reviews and pods are read and written: Kubernetes' camelCase, unknown fields ignored.</summary>
internal static class AdmissionJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,

        // Messages end up in kubectl's output; keep quotes and apostrophes readable there.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
