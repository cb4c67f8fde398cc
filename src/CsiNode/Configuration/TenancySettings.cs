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
}
