namespace OrasAssemble.Webhook.Admission;

/// <summary>Which pods the webhook wires, and what it does when it cannot.</summary>
/// <param name="FailurePolicy">Fail closed or open when the spec cannot be resolved.</param>
/// <param name="Namespaces">The namespaces served; null serves every namespace the API server sends.</param>
internal sealed record AdmissionPolicy(FailurePolicy FailurePolicy, IReadOnlySet<string>? Namespaces = null)
{
    public bool Serves(string? @namespace) => Namespaces is null || (@namespace is not null && Namespaces.Contains(@namespace));
}
