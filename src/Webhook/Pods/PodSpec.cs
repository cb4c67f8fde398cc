namespace OrasAssemble.Webhook.Pods;

internal sealed record PodSpec
{
    /// <summary>Null when the field is absent (or JSON null), which a patch must treat differently from an empty list.</summary>
    public IReadOnlyList<Volume>? Volumes { get; init; }

    public IReadOnlyList<Container>? Containers { get; init; }

    public IReadOnlyList<Container>? InitContainers { get; init; }

    /// <summary>The pod's registry credentials, first one first.</summary>
    public IReadOnlyList<LocalObjectReference>? ImagePullSecrets { get; init; }

    /// <summary>Null or empty means the namespace's <c>default</c> service account.</summary>
    public string? ServiceAccountName { get; init; }
}
