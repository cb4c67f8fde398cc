using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Metrics;

namespace OrasAssemble.CsiNode.Services;

/// <summary>
/// Around every call: any failure becomes the status <see cref="ErrorTranslation"/> gives it (an unexpected one is
/// INTERNAL, with its message, and logged), the publish and unpublish calls are counted and timed by outcome, and
/// each call leaves one debug line with its method, outcome and duration. Requests are never logged: they hold secrets.
/// </summary>
internal sealed partial class CallInterceptor(NodeMetrics metrics, ILogger<CallInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failure = ErrorTranslation.ToRpc(e);
            if (e is not RpcException && failure.StatusCode == StatusCode.Internal)
            {
                LogUnexpectedError(logger, context.Method, e);
            }

            status = failure.StatusCode;
            throw failure;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var outcome = ErrorTranslation.Name(status);
            if (Operation(context.Method) is { } operation)
            {
                metrics.RecordCall(operation, outcome, elapsed);
            }

            LogCall(logger, context.Method, outcome, (long)elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The calls <see cref="NodeMetrics"/> keeps series for, by their operation label.</summary>
    private static string? Operation(string method) => method switch
    {
        "/csi.v1.Node/NodePublishVolume" => "publish",
        "/csi.v1.Node/NodeUnpublishVolume" => "unpublish",
        _ => null,
    };

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "gRPC {Method}: {Outcome} in {DurationMs} ms")]
    private static partial void LogCall(ILogger logger, string method, string outcome, long durationMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "gRPC method {Method} failed unexpectedly")]
    private static partial void LogUnexpectedError(ILogger logger, string method, Exception exception);
}
