namespace OrasAssemble.Webhook.PullSecrets;

/// <summary>Where the secret an injected volume hands to the node plugin came from (docs/webhook.md, "Pull secrets").</summary>
internal enum PullSecretSource
{
    /// <summary>The pod's <c>assemble.oras.land/pull-secret</c> annotation.</summary>
    Annotation,

    /// <summary>The pod's first <c>imagePullSecrets</c> entry.</summary>
    Pod,

    /// <summary>The first <c>imagePullSecrets</c> entry of the pod's service account.</summary>
    ServiceAccount,

    /// <summary>No secret: the node plugin uses its own credentials, or none.</summary>
    None,
}
