namespace OrasAssemble.Webhook.Pods;

internal sealed record CsiVolumeSource
{
    public string? Driver { get; init; }

    public bool? ReadOnly { get; init; }

    public IReadOnlyDictionary<string, string>? VolumeAttributes { get; init; }

    public LocalObjectReference? NodePublishSecretRef { get; init; }
}
