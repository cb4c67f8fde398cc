using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrasAssemble.CsiNode.Grpc;

/// <summary>
/// Serves unary gRPC calls over ASP.NET Core's HTTP/2: one length-prefixed request message in, one response message
/// out, the outcome in the <c>grpc-status</c> and <c>grpc-message</c> trailers. <c>grpc-timeout</c> becomes the
/// call's deadline; a handler still running at the deadline is answered <c>DEADLINE_EXCEEDED</c>. Unknown methods get
/// <c>UNIMPLEMENTED</c>. No compression and no streaming: CSI needs neither.
/// </summary>
internal sealed partial class GrpcEndpoint(GrpcMethodTable methods, ILogger<GrpcEndpoint> logger, TimeProvider time, int maxMessageBytes = GrpcEndpoint.DefaultMaxMessageBytes)
{
    /// <summary>gRPC's usual receive limit.</summary>
    public const int DefaultMaxMessageBytes = 4 * 1024 * 1024;

    public const string ContentType = "application/grpc";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (!IsGrpc(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        var (status, message, reply) = await CallAsync(context).ConfigureAwait(false);
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (reply is not null)
        {
            await response.Body.WriteAsync(GrpcFrame.Encode(reply), context.RequestAborted).ConfigureAwait(false);
        }

        SetTrailer(context, "grpc-status", ((int)status).ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(message))
        {
            SetTrailer(context, "grpc-message", GrpcMessageText.Encode(message));
        }
    }

    private async Task<(GrpcStatusCode Status, string? Message, byte[]? Reply)> CallAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!methods.TryGet(path, out var method))
        {
            LogUnknownMethod(logger, path);
            return (GrpcStatusCode.Unimplemented, $"unknown method {path}", null);
        }

        if (context.Request.Headers["grpc-encoding"].ToString() is { Length: > 0 } encoding && encoding != "identity")
        {
            context.Response.Headers["grpc-accept-encoding"] = "identity";
            return (GrpcStatusCode.Unimplemented, $"compression \"{encoding}\" is not supported", null);
        }

        TimeSpan? timeout = null;
        if (context.Request.Headers[GrpcTimeout.HeaderName].ToString() is { Length: > 0 } timeoutText)
        {
            if (!GrpcTimeout.TryParse(timeoutText, out var parsed))
            {
                return (GrpcStatusCode.Internal, $"malformed {GrpcTimeout.HeaderName} \"{timeoutText}\"", null);
            }

            timeout = parsed;
        }

        using var deadline = timeout is { } t ? new CancellationTokenSource(t, time) : new CancellationTokenSource();
        using var call = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.RequestAborted);
        var callContext = new CallContext
        {
            Method = path,
            Deadline = timeout is { } d ? time.GetUtcNow() + d : null,
            CancellationToken = call.Token,
        };
        try
        {
            var payload = await GrpcFrame.ReadSingleAsync(context.Request.BodyReader, maxMessageBytes, call.Token).ConfigureAwait(false);

            // The handler may ignore the token; the caller still gets its answer at the deadline.
            var reply = await method(payload, callContext).WaitAsync(call.Token).ConfigureAwait(false);
            return (GrpcStatusCode.Ok, null, reply);
        }
        catch (RpcException e)
        {
            return (e.Status, e.Message, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return (GrpcStatusCode.DeadlineExceeded, $"the deadline of {timeout!.Value.TotalSeconds:0.###} s passed", null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return (GrpcStatusCode.Cancelled, "the caller cancelled the call", null);
        }
        catch (Exception e)
        {
            LogUnexpectedError(logger, path, e);
            return (GrpcStatusCode.Internal, $"internal error: {e.Message}", null);
        }
    }

    private static void SetTrailer(HttpContext context, string name, string value)
    {
        // HTTP/2 always has trailers; the fallback only serves a stray HTTP/1.1 caller a readable status.
        if (context.Response.SupportsTrailers())
        {
            context.Response.AppendTrailer(name, value);
        }
        else
        {
            context.Response.Headers[name] = value;
        }
    }

    private static bool IsGrpc(string? contentType) =>
        contentType is not null
        && (contentType.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith(ContentType + "+proto", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith(ContentType + ";", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "gRPC call to unknown method {Method}")]
    private static partial void LogUnknownMethod(ILogger logger, string method);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "gRPC method {Method} failed unexpectedly")]
    private static partial void LogUnexpectedError(ILogger logger, string method, Exception exception);
}
