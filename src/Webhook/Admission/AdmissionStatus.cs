namespace OrasAssemble.Webhook.Admission;

/// <summary>The part of a <c>metav1.Status</c> the API server reads from a webhook's answer.</summary>
internal sealed record AdmissionStatus
{
    public required int Code { get; init; }

    public required string Message { get; init; }

    /// <summary>A CamelCase reason as in <c>metav1.StatusReason</c>, e.g. <c>Forbidden</c>.</summary>
    public string? Reason { get; init; }
}
