namespace OrasAssemble.CsiNode.Grpc;

/// <summary>Ends a call with a status other than OK; the message reaches the caller as <c>grpc-message</c>.</summary>
internal sealed class RpcException(GrpcStatusCode status, string message, Exception? inner = null) : Exception(message, inner)
{
    public GrpcStatusCode Status { get; } = status;
}
