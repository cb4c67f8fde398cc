namespace OrasAssemble.Webhook.Admission;

/// <summary>
/// What to do with a pod whose spec cannot be resolved because the registry cannot be asked (unreachable, too slow,
/// refusing the webhook's credentials) or the webhook itself fails. Named as the <c>failurePolicy</c> of a
/// <c>MutatingWebhookConfiguration</c>, which should say the same for when the webhook cannot be reached at all.
/// Problems with the pod or the spec itself are refused under either policy.
/// </summary>
internal enum FailurePolicy
{
    /// <summary>Fail closed: refuse the pod, so it never runs without its assembled tree.</summary>
    Fail,

    /// <summary>Fail open: admit the pod unchanged, with a warning.</summary>
    Ignore,
}
