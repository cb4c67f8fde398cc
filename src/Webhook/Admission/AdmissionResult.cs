namespace OrasAssemble.Webhook.Admission;

/// <summary>The HTTP status and body to answer an admission call with.</summary>
internal sealed record AdmissionResult(int StatusCode, AdmissionReview Review, Metrics.AdmissionOutcome Outcome);
