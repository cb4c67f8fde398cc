using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Grpc;

namespace OrasAssemble.CsiNode.Services;

/// <summary>The CSI methods this plugin answers, by their wire names; anything else is UNIMPLEMENTED.</summary>
internal static class CsiMethods
{
    public const string IdentityService = "csi.v1.Identity";
    public const string NodeService = "csi.v1.Node";

    public static GrpcMethodTable Create(IdentityService identity, NodeService node) => new GrpcMethodTable()
        .Add<GetPluginInfoRequest, GetPluginInfoResponse>(IdentityService, "GetPluginInfo", identity.GetPluginInfo)
        .Add<GetPluginCapabilitiesRequest, GetPluginCapabilitiesResponse>(IdentityService, "GetPluginCapabilities", identity.GetPluginCapabilities)
        .Add<ProbeRequest, ProbeResponse>(IdentityService, "Probe", identity.Probe)
        .Add<NodePublishVolumeRequest, NodePublishVolumeResponse>(NodeService, "NodePublishVolume", node.NodePublishVolume)
        .Add<NodeUnpublishVolumeRequest, NodeUnpublishVolumeResponse>(NodeService, "NodeUnpublishVolume", node.NodeUnpublishVolume)
        .Add<NodeGetVolumeStatsRequest, NodeGetVolumeStatsResponse>(NodeService, "NodeGetVolumeStats", node.NodeGetVolumeStats)
        .Add<NodeGetCapabilitiesRequest, NodeGetCapabilitiesResponse>(NodeService, "NodeGetCapabilities", node.NodeGetCapabilities)
        .Add<NodeGetInfoRequest, NodeGetInfoResponse>(NodeService, "NodeGetInfo", node.NodeGetInfo);
}
