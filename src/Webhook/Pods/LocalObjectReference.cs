namespace OrasAssemble.Webhook.Pods;

/// <summary>A reference to an object in the pod's namespace by name, as <c>imagePullSecrets</c> and <c>nodePublishSecretRef</c> hold them.</summary>
internal sealed record LocalObjectReference
{
    public string? Name { get; init; }
}
