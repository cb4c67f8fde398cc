namespace OrasAssemble.Webhook.Pods;

/// <summary>The pod annotations of spec/assembly-spec.md ("Webhook annotations").</summary>
internal static class PodAnnotations
{
    /// <summary>The spec's reference; a pod without it is left alone.</summary>
    public const string Spec = "assemble.oras.land/spec";

    /// <summary>Comma-separated names of the containers that get the mount.</summary>
    public const string Containers = "assemble.oras.land/containers";

    /// <summary>Where to mount the tree, overriding the spec's mount path.</summary>
    public const string MountPath = "assemble.oras.land/mount-path";

    /// <summary><c>"true"</c>: set the chosen containers' image to the spec's base.</summary>
    public const string Rebase = "assemble.oras.land/rebase";

    /// <summary>The secret the injected volume's <c>nodePublishSecretRef</c> names, instead of the pod's first pull secret.</summary>
    public const string PullSecret = "assemble.oras.land/pull-secret";

    /// <summary>
    /// Comma-separated <c>path=reference</c> pairs: a writable volume at each path, pushed to the reference (which may
    /// use <c>{pod.name}</c>, <c>{pod.namespace}</c>, <c>{pod.uid}</c>) when the pod is done.
    /// </summary>
    public const string Outputs = "assemble.oras.land/outputs";

    /// <summary>Written by the webhook: the digest of the spec revision the pod was wired to.</summary>
    public const string SpecDigest = "assemble.oras.land/spec-digest";
}
