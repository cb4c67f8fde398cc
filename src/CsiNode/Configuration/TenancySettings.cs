namespace OrasAssemble.CsiNode.Configuration;

/// <summary>The <c>tenancy:</c> section: what one pod may get from a cache that serves every namespace.</summary>
internal sealed record TenancySettings
{
    /// <summary>A cached tree is given to a pod only after the pod's own credentials (or anonymous access) read every source.</summary>
    public bool Enforce { get; init; } = true;

    /// <summary>Whether a volume's <c>oras.options.plainhttp</c> is honoured; refused when not.</summary>
    public bool AllowPlainHttp { get; init; }

    /// <summary>Whether a volume's <c>oras.options.insecure</c> is honoured; refused when not.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>
    /// How long a registry read that succeeded with a volume's credentials stands in for the next one with the same
    /// credentials and reference (kubelet's KEP-2535 idea); zero asks the registry on every publish.
    /// </summary>
    public TimeSpan VerifiedFor { get; init; } = DefaultVerifiedFor;

    public static readonly TimeSpan DefaultVerifiedFor = TimeSpan.FromMinutes(5);
}
