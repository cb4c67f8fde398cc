namespace OrasAssemble.Failures;

/// <summary>
/// What kind of failure an error is, in the terms every edge answers in: each host maps a kind once (the CLI to an exit
/// code, the node plugin to a gRPC status, the webhook to an admission answer). <see cref="Failure.KindOf"/> gives it.
/// </summary>
public enum FailureKind
{
    /// <summary>What the caller wrote is wrong: a reference, a spec, a flag, a spec artifact that is none, a rebase onto a base for another platform.</summary>
    InvalidInput,

    /// <summary>What the input names cannot be used as asked: a layer refused, a malformed manifest, a step that cannot be carried out.</summary>
    Unusable,

    /// <summary>The host's own settings or credentials cannot be used.</summary>
    Configuration,

    /// <summary>The content, tag, repository or platform asked for does not exist.</summary>
    NotFound,

    /// <summary>The registry did not accept the credentials (or their absence).</summary>
    Unauthenticated,

    /// <summary>The registry, or node policy, knows who is asking and refuses.</summary>
    Denied,

    /// <summary>The registry (or a credential helper) could not be asked: unreachable, too slow, failing, rate limiting.</summary>
    Unavailable,

    /// <summary>Content did not match its digest or size.</summary>
    Integrity,

    /// <summary>Content is larger than a configured bound allows.</summary>
    Limit,

    /// <summary>The target already holds something else.</summary>
    Conflict,

    /// <summary>The work is still under way, or was overtaken; the same request later finds it.</summary>
    Pending,

    /// <summary>The caller gave up.</summary>
    Cancelled,

    /// <summary>Anything else: the host's own disk, or a defect.</summary>
    Internal,
}
