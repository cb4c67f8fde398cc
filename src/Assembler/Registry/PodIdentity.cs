namespace OrasAssemble.Registry;

/// <summary>
/// Who a pod is, as kubelet tells a CSI driver whose CSIDriver object sets <c>podInfoOnMount: true</c>: the
/// <c>csi.storage.k8s.io/pod.*</c> keys of the volume context. Any part may be unknown.
/// </summary>
public sealed record PodIdentity(string? Name, string? Namespace, string? Uid)
{
    /// <summary>The volume context key kubelet passes the pod's name in.</summary>
    public const string NameKey = "csi.storage.k8s.io/pod.name";

    /// <summary>The volume context key kubelet passes the pod's namespace in.</summary>
    public const string NamespaceKey = "csi.storage.k8s.io/pod.namespace";

    /// <summary>The volume context key kubelet passes the pod's uid in.</summary>
    public const string UidKey = "csi.storage.k8s.io/pod.uid";
}
