using System.Security.Cryptography;
using System.Text;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Publishing;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// Calls the plugin the way kubelet does for an inline CSI volume: volume id <c>csi-&lt;sha256(pod uid + volume name)&gt;</c>,
/// target <c>&lt;kubelet&gt;/pods/&lt;uid&gt;/volumes/kubernetes.io~csi/&lt;name&gt;/mount</c> (kubelet makes its parent, the
/// plugin the target), the pod info keys of podInfoOnMount, read-only, a SINGLE_NODE_WRITER mount capability, and a
/// deadline of two minutes unless told otherwise.
/// </summary>
internal sealed class KubeletClient(GrpcSocketClient grpc, string kubeletDirectory)
{
    public static readonly TimeSpan KubeletTimeout = TimeSpan.FromMinutes(2);

    public GrpcSocketClient Grpc => grpc;

    public static string VolumeId(string podUid, string volumeName) =>
        "csi-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(podUid + volumeName)));

    public string TargetPath(string podUid, string volumeName) =>
        Path.Combine(kubeletDirectory, "pods", podUid, "volumes", "kubernetes.io~csi", volumeName, "mount");

    public NodePublishVolumeRequest PublishRequest(TestPod pod, IReadOnlyDictionary<string, string> attributes, IReadOnlyDictionary<string, string>? secrets = null)
    {
        var request = new NodePublishVolumeRequest
        {
            VolumeId = VolumeId(pod.Uid, pod.VolumeName),
            TargetPath = TargetPath(pod.Uid, pod.VolumeName),
            Readonly = true,
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = VolumeCapability.Types.AccessMode.Types.Mode.SingleNodeWriter },
            },
            VolumeContext =
            {
                [VolumeContextKeys.Ephemeral] = "true",
                [VolumeContextKeys.PodName] = pod.Name,
                [VolumeContextKeys.PodNamespace] = pod.Namespace,
                [VolumeContextKeys.PodUid] = pod.Uid,
                [VolumeContextKeys.ServiceAccount] = "default",
            },
        };
        foreach (var (key, value) in attributes)
        {
            request.VolumeContext[key] = value;
        }

        foreach (var (key, value) in secrets ?? new Dictionary<string, string>())
        {
            request.Secrets[key] = value;
        }

        return request;
    }

    /// <summary>Publishes as kubelet does, after making the directory kubelet makes; returns the target path.</summary>
    public async Task<string> PublishAsync(TestPod pod, IReadOnlyDictionary<string, string> attributes, IReadOnlyDictionary<string, string>? secrets = null, TimeSpan? timeout = null)
    {
        var request = PublishRequest(pod, attributes, secrets);
        await PublishAsync(request, timeout);
        return request.TargetPath;
    }

    public async Task PublishAsync(NodePublishVolumeRequest request, TimeSpan? timeout = null)
    {
        if (Path.IsPathRooted(request.TargetPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(request.TargetPath)!);
        }

        await grpc.CallAsync<NodePublishVolumeResponse>("/csi.v1.Node/NodePublishVolume", request, timeout ?? KubeletTimeout);
    }

    public Task UnpublishAsync(TestPod pod) => UnpublishAsync(VolumeId(pod.Uid, pod.VolumeName), TargetPath(pod.Uid, pod.VolumeName));

    public Task UnpublishAsync(string volumeId, string targetPath) =>
        grpc.CallAsync<NodeUnpublishVolumeResponse>("/csi.v1.Node/NodeUnpublishVolume",
            new NodeUnpublishVolumeRequest { VolumeId = volumeId, TargetPath = targetPath }, KubeletTimeout);

    public Task<NodeGetVolumeStatsResponse> StatsAsync(TestPod pod) =>
        grpc.CallAsync<NodeGetVolumeStatsResponse>("/csi.v1.Node/NodeGetVolumeStats",
            new NodeGetVolumeStatsRequest { VolumeId = VolumeId(pod.Uid, pod.VolumeName), VolumePath = TargetPath(pod.Uid, pod.VolumeName) });
}
