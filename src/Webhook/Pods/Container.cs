namespace OrasAssemble.Webhook.Pods;

internal sealed record Container
{
    public string? Name { get; init; }

    public string? Image { get; init; }

    /// <summary>Null when the field is absent (or JSON null).</summary>
    public IReadOnlyList<VolumeMount>? VolumeMounts { get; init; }
}
