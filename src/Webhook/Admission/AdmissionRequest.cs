using System.Text.Json;

namespace OrasAssemble.Webhook.Admission;

/// <summary>The <c>request</c> of an <see cref="AdmissionReview"/>: what is being admitted, and by which operation.</summary>
internal sealed record AdmissionRequest
{
    /// <summary>Identifies this call; the response must carry it back unchanged.</summary>
    public string? Uid { get; init; }

    public GroupVersionKind? Kind { get; init; }

    public string? SubResource { get; init; }

    public string? Namespace { get; init; }

    /// <summary><c>CREATE</c>, <c>UPDATE</c>, <c>DELETE</c> or <c>CONNECT</c>.</summary>
    public string? Operation { get; init; }

    /// <summary>The object as it would be stored, kept as raw JSON so nothing we do not model is lost.</summary>
    public JsonElement? Object { get; init; }
}
