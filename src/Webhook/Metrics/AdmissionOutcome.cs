namespace OrasAssemble.Webhook.Metrics;

/// <summary>How one admission review ended; a fixed set so the metric's labels stay few.</summary>
internal enum AdmissionOutcome
{
    /// <summary>Allowed with a patch.</summary>
    Mutated,

    /// <summary>Allowed without a patch: the pod already has everything the spec asks for.</summary>
    Unchanged,

    /// <summary>Allowed without looking further: not a pod creation, no spec annotation, or a namespace not served.</summary>
    Skipped,

    /// <summary>Refused: a conflict, a bad annotation, or a spec that is not usable.</summary>
    Denied,

    /// <summary>Allowed unchanged because the spec could not be resolved and the failure policy is Ignore.</summary>
    FailedOpen,

    /// <summary>The request was not a readable admission review.</summary>
    Malformed,

    /// <summary>Something unexpected went wrong inside the webhook.</summary>
    Error,
}
