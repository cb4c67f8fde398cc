using OrasAssemble.Registry;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>The keys of a NodePublishVolume's volume context: what kubelet adds, and the volume attributes users write.</summary>
internal static class VolumeContextKeys
{
    public const string Ephemeral = "csi.storage.k8s.io/ephemeral";
    public const string PodName = PodIdentity.NameKey;
    public const string PodNamespace = PodIdentity.NamespaceKey;
    public const string PodUid = PodIdentity.UidKey;
    public const string ServiceAccount = "csi.storage.k8s.io/serviceAccount.name";

    public const string Reference = "oras.artifact.reference";
    public const string LayerMediaTypes = "oras.artifact.layers.mediatype";
    public const string InlineSpec = "oras.assembly.spec";
    public const string PlainHttp = "oras.options.plainhttp";
    public const string Insecure = "oras.options.insecure";
    public const string Concurrency = "oras.options.concurrency";
    public const string PullPolicy = "oras.options.pullpolicy";
    public const string PullAlways = "oras.options.pullalways";

    public static IReadOnlyList<string> Attributes { get; } =
        [Reference, LayerMediaTypes, InlineSpec, PlainHttp, Insecure, Concurrency, PullPolicy, PullAlways];

    /// <summary>An output volume: a writable directory pushed to this reference when the pod is done with it.</summary>
    public const string OutputReference = "oras.output.reference";
    public const string OutputArtifactType = "oras.output.artifactType";
    public const string OutputAnnotations = "oras.output.annotations";

    /// <summary>The attributes of an output volume.</summary>
    public static IReadOnlyList<string> OutputAttributes { get; } = [OutputReference, OutputArtifactType, OutputAnnotations];
}
