using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Outputs;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Services;

/// <summary>
/// The CSI Node service. Each call checks its arguments first (<c>INVALID_ARGUMENT</c>), then hands the work to the
/// <see cref="VolumePublisher"/> (or, for an output volume, to <see cref="OutputVolumes"/>), and ends with one log line
/// (its metrics are the <see cref="CallInterceptor"/>'s). Secrets never reach a log.
/// </summary>
internal sealed partial class NodeService(
    VolumePublisher publisher, OutputVolumes outputs, NodeOptions options, NodeMetrics metrics, ILogger<NodeService> logger) : Node.NodeBase
{
    public override async Task<NodePublishVolumeResponse> NodePublishVolume(NodePublishVolumeRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        PublishRequest? publish = null;
        PublishResult? result = null;
        RpcException? failure = null;
        string? source = null;
        string? pod = null;
        try
        {
            if (OutputAttributes.Requested(request.VolumeContext))
            {
                var output = CheckOutput(request);
                source = output.Attributes.Reference.ToString();
                pod = output.Pod.ToString();
                result = await outputs.PublishAsync(output, context.CancellationToken).ConfigureAwait(false);
                return new NodePublishVolumeResponse();
            }

            publish = Check(request);
            metrics.Phase(PublishPhase.Validate, started);
            result = await publisher.PublishAsync(publish, CallDeadline.Of(context), context.CancellationToken).ConfigureAwait(false);
            return new NodePublishVolumeResponse();
        }
        catch (Exception e)
        {
            failure = ErrorTranslation.ToRpc(e);
            throw failure;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var outcome = ErrorTranslation.Name(failure?.StatusCode ?? StatusCode.OK);
            source = result?.Source ?? source ?? publish?.Attributes.Describe() ?? "";
            pod ??= publish?.Pod.ToString() ?? "";
            if (failure is null)
            {
                var kind = result!.TreeKey.Length == 0 ? "output volume" : result.CacheHit ? "cache hit" : "built";
                LogPublished(logger, QuotedValue.Bare(request.VolumeId), pod, source, result.Digest ?? "", result.TreeKey,
                    result.Mounted ? kind : "already published", (long)elapsed.TotalMilliseconds, outcome);
            }
            else
            {
                LogPublishFailed(logger, QuotedValue.Bare(request.VolumeId), pod, source, (long)elapsed.TotalMilliseconds, outcome, failure.Status.Detail);
            }
        }
    }

    public override async Task<NodeUnpublishVolumeResponse> NodeUnpublishVolume(NodeUnpublishVolumeRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        RpcException? failure = null;
        try
        {
            Require(request.VolumeId, "volume_id");
            var target = TargetPath(request.TargetPath, "target_path");
            if (!await outputs.TryUnpublishAsync(request.VolumeId, target, context.CancellationToken).ConfigureAwait(false))
            {
                await publisher.UnpublishAsync(request.VolumeId, target, context.CancellationToken).ConfigureAwait(false);
            }

            return new NodeUnpublishVolumeResponse();
        }
        catch (Exception e)
        {
            failure = ErrorTranslation.ToRpc(e);
            throw failure;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var outcome = ErrorTranslation.Name(failure?.StatusCode ?? StatusCode.OK);
            LogUnpublished(logger, QuotedValue.Bare(request.VolumeId), QuotedValue.Bare(request.TargetPath), (long)elapsed.TotalMilliseconds, outcome, failure?.Status.Detail ?? "");
        }
    }

    public override Task<NodeGetVolumeStatsResponse> NodeGetVolumeStats(NodeGetVolumeStatsRequest request, ServerCallContext context)
    {
        try
        {
            Require(request.VolumeId, "volume_id");
            Require(request.VolumePath, "volume_path");

            // Any path that holds no published volume is NOT_FOUND, however it is written (csi-sanity asks "some/path").
            var path = Path.IsPathRooted(request.VolumePath) ? TargetPath(request.VolumePath, "volume_path") : request.VolumePath;
            var stats = publisher.Stats(request.VolumeId, path);

            // A read-only tree is exactly as large as what it holds: nothing is available to write.
            return Task.FromResult(new NodeGetVolumeStatsResponse
            {
                Usage =
                {
                    new VolumeUsage { Unit = VolumeUsage.Types.Unit.Bytes, Total = stats.Bytes, Used = stats.Bytes, Available = 0 },
                    new VolumeUsage { Unit = VolumeUsage.Types.Unit.Inodes, Total = stats.Inodes, Used = stats.Inodes, Available = 0 },
                },
            });
        }
        catch (Exception e)
        {
            throw ErrorTranslation.ToRpc(e);
        }
    }

    public override Task<NodeGetCapabilitiesResponse> NodeGetCapabilities(NodeGetCapabilitiesRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeGetCapabilitiesResponse
        {
            Capabilities =
            {
                new NodeServiceCapability { Rpc = new NodeServiceCapability.Types.RPC { Type = NodeServiceCapability.Types.RPC.Types.Type.GetVolumeStats } },
            },
        });

    public override Task<NodeGetInfoResponse> NodeGetInfo(NodeGetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeGetInfoResponse { NodeId = options.NodeId });

    private PublishRequest Check(NodePublishVolumeRequest request)
    {
        var target = CheckVolume(request, output: false);
        var attributes = VolumeAttributes.Parse(request.VolumeContext, options.Config.Limits.MaxConcurrency);
        return new PublishRequest(request.VolumeId, target, attributes, request.Secrets, PodInfo.From(request.VolumeContext));
    }

    private static OutputPublishRequest CheckOutput(NodePublishVolumeRequest request)
    {
        var target = CheckVolume(request, output: true);
        var pod = PodInfo.From(request.VolumeContext);
        return new OutputPublishRequest(request.VolumeId, target, OutputAttributes.Parse(request.VolumeContext, pod), request.Secrets, pod);
    }

    /// <summary>What every volume must be: an ephemeral mount with a target; read-only, or writable for an output volume.</summary>
    private static string CheckVolume(NodePublishVolumeRequest request, bool output)
    {
        Require(request.VolumeId, "volume_id");
        var target = TargetPath(request.TargetPath, "target_path");
        var capability = request.VolumeCapability
            ?? throw Invalid("volume_capability is required");
        if (capability.AccessTypeCase == VolumeCapability.AccessTypeOneofCase.Block)
        {
            throw Invalid("block volumes are not supported: this driver mounts a directory tree");
        }

        if (capability.AccessTypeCase != VolumeCapability.AccessTypeOneofCase.Mount)
        {
            throw Invalid("volume_capability must have the mount access type");
        }

        if (capability.AccessMode is null)
        {
            throw Invalid("volume_capability.access_mode is required");
        }

        if (output && request.Readonly)
        {
            throw Invalid($"an output volume ({VolumeContextKeys.OutputReference}) is written by the pod: set readOnly: false on the pod's csi volume");
        }

        if (!output && !request.Readonly)
        {
            throw Invalid("the volume must be read-only: set readOnly: true on the pod's csi volume");
        }

        var context = request.VolumeContext;
        if (!context.TryGetValue(VolumeContextKeys.Ephemeral, out var ephemeral) || ephemeral != "true")
        {
            throw Invalid($"only ephemeral inline volumes are served ({VolumeContextKeys.Ephemeral} must be \"true\"; the CSIDriver's volumeLifecycleModes is [Ephemeral])");
        }

        return target;
    }

    private static void Require(string value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid($"{field} is required");
        }
    }

    /// <summary>An absolute path in canonical form, so one directory never has two names in the records.</summary>
    private static string TargetPath(string value, string field)
    {
        Require(value, field);
        if (!Path.IsPathRooted(value) || value.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"{field} {QuotedValue.Of(value)} must be an absolute path");
        }

        var full = Path.GetFullPath(value);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "NodePublishVolume {VolumeId} pod {Pod} {Reference} {Digest} tree {TreeKey}: {Result} in {DurationMs} ms ({Outcome})")]
    private static partial void LogPublished(ILogger logger, string volumeId, string pod, string reference, string digest, string treeKey, string result, long durationMs, string outcome);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "NodePublishVolume {VolumeId} pod {Pod} {Reference} failed in {DurationMs} ms ({Outcome}): {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string volumeId, string pod, string reference, long durationMs, string outcome, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information,
        Message = "NodeUnpublishVolume {VolumeId} {TargetPath} in {DurationMs} ms ({Outcome}) {Reason}")]
    private static partial void LogUnpublished(ILogger logger, string volumeId, string targetPath, long durationMs, string outcome, string reason);
}
