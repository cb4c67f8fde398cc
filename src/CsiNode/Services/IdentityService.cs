using Microsoft.Extensions.Logging;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Csi;
using Grpc.Core;

namespace OrasAssemble.CsiNode.Services;

/// <summary>The CSI Identity service: who the plugin is, that it has no controller service, and whether it is ready.</summary>
internal sealed partial class IdentityService(NodeOptions options, TreeCache cache, ILogger<IdentityService> logger) : Identity.IdentityBase
{
    public override Task<GetPluginInfoResponse> GetPluginInfo(GetPluginInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginInfoResponse { Name = options.DriverName, VendorVersion = options.Version });

    /// <summary>Nothing to report: a node-only plugin, no controller service, no topology constraints.</summary>
    public override Task<GetPluginCapabilitiesResponse> GetPluginCapabilities(GetPluginCapabilitiesRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginCapabilitiesResponse());

    /// <summary>Ready when the cache takes a write: without that no volume can be published.</summary>
    public override Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context)
    {
        var probe = Path.Combine(cache.TempDirectory, $"probe-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return Task.FromResult(new ProbeResponse { Ready = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogNotReady(logger, cache.Root, e.Message);
            return Task.FromResult(new ProbeResponse { Ready = false });
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "not ready: the cache {Root} cannot be written: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string root, string reason);
}
