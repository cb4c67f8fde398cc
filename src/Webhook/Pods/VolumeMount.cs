namespace OrasAssemble.Webhook.Pods;

internal sealed record VolumeMount
{
    public string? Name { get; init; }

    public string? MountPath { get; init; }

    public bool? ReadOnly { get; init; }
}
