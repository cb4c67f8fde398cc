using OrasAssemble.CsiNode.Outputs;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Configuration;

/// <summary>The node plugin's <c>--config</c> file: per-registry settings beside the plugin's own sections.</summary>
internal sealed record NodeConfig
{
    public static NodeConfig Default { get; } = new();

    public HostSettings Registries { get; init; } = HostSettings.Empty;

    /// <summary>The <c>transfer:</c> timeouts, read by the library's reader as the CLI and the webhook read them.</summary>
    public TransferSettings Transfer { get; init; } = TransferSettings.Default;

    public CacheSettings Cache { get; init; } = new();

    public LimitSettings Limits { get; init; } = new();

    public TenancySettings Tenancy { get; init; } = new();

    public CredentialSettings Credentials { get; init; } = new();

    /// <summary>The <c>outputs:</c> section: size limits and retries of workflow output volumes.</summary>
    public OutputSettings Outputs { get; init; } = new();

    /// <summary>Allow-lists by namespace; <c>*</c> applies to namespaces not listed. No entry means no restriction.</summary>
    public IReadOnlyDictionary<string, NamespaceRule> Namespaces { get; init; } = new Dictionary<string, NamespaceRule>(StringComparer.Ordinal);
}
