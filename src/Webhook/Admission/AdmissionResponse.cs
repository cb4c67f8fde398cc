namespace OrasAssemble.Webhook.Admission;

/// <summary>The <c>response</c> of an <see cref="AdmissionReview"/>.</summary>
internal sealed record AdmissionResponse
{
    public const string JsonPatchType = "JSONPatch";

    public required string Uid { get; init; }

    public required bool Allowed { get; init; }

    /// <summary>Why a request was refused; the API server shows its message to whoever made the request.</summary>
    public AdmissionStatus? Status { get; init; }

    /// <summary><see cref="JsonPatchType"/> when <see cref="Patch"/> is set.</summary>
    public string? PatchType { get; init; }

    /// <summary>An RFC 6902 JSON Patch, base64 encoded.</summary>
    public string? Patch { get; init; }

    /// <summary>Shown to the client (kubectl prints them) even when the request is allowed.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}
