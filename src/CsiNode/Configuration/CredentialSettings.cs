namespace OrasAssemble.CsiNode.Configuration;

/// <summary>The <c>credentials:</c> section: where a volume without a <c>nodePublishSecretRef</c> may find credentials.</summary>
internal sealed record CredentialSettings
{
    /// <summary>
    /// Reads the pod's own <c>imagePullSecrets</c> and its service account's from the API server for a volume that names
    /// no secret. Off by default: it needs a token that may read every secret in the cluster.
    /// </summary>
    public bool PodPullSecrets { get; init; }

    /// <summary>How long one API server read may take before the publish fails with <c>UNAVAILABLE</c>.</summary>
    public TimeSpan ApiTimeout { get; init; } = DefaultApiTimeout;

    /// <summary>How long a pod's, service account's or secret's answer is reused, in memory only.</summary>
    public TimeSpan CacheFor { get; init; } = DefaultCacheFor;

    public static readonly TimeSpan DefaultApiTimeout = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan DefaultCacheFor = TimeSpan.FromSeconds(30);

    /// <summary>The longest <see cref="ApiTimeout"/>: kubelet's own call gives up after about two minutes.</summary>
    public static readonly TimeSpan MaxApiTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The longest <see cref="CacheFor"/>: a revoked secret must stop working soon.</summary>
    public static readonly TimeSpan MaxCacheFor = TimeSpan.FromMinutes(5);
}
