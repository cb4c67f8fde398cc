namespace OrasAssemble.Webhook.Admission;

/// <summary>
/// <c>admission.k8s.io/v1</c> <c>AdmissionReview</c>: the API server sends one with <see cref="Request"/> set and
/// expects the same kind back with <see cref="Response"/> set. Only the fields this webhook reads or writes are modelled.
/// </summary>
internal sealed record AdmissionReview
{
    public const string V1 = "admission.k8s.io/v1";
    public const string ReviewKind = "AdmissionReview";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public AdmissionRequest? Request { get; init; }

    public AdmissionResponse? Response { get; init; }

    /// <summary>The review to send back for <paramref name="response"/>.</summary>
    public static AdmissionReview For(AdmissionResponse response) => new()
    {
        ApiVersion = V1,
        Kind = ReviewKind,
        Response = response,
    };
}
