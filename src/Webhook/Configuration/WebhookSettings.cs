using OrasAssemble.Settings;

namespace OrasAssemble.Webhook.Configuration;

/// <summary>
/// The <c>webhook:</c> section of the host settings file (docs/webhook.md). Only the webhook reads it; the
/// <c>registries:</c> section beside it is read by <see cref="HostSettings"/>.
/// </summary>
internal sealed record WebhookSettings
{
    public static WebhookSettings Default { get; } = new();

    /// <summary>Namespaces whose pods are wired; null means every namespace the API server sends.</summary>
    public IReadOnlySet<string>? Namespaces { get; init; }
}
