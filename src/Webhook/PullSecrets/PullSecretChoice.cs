namespace OrasAssemble.Webhook.PullSecrets;

/// <summary>The secret an injected volume names in <c>nodePublishSecretRef</c>, or none.</summary>
/// <param name="Name">The secret's name; null when <paramref name="Source"/> is <see cref="PullSecretSource.None"/>.</param>
/// <param name="Warning">Set when the service account could not be read and the pod is admitted without a secret.</param>
internal sealed record PullSecretChoice(string? Name, PullSecretSource Source, string? Warning = null)
{
    public static PullSecretChoice None { get; } = new(null, PullSecretSource.None);
}
