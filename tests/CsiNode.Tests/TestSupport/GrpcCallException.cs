using Grpc.Core;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>A call ended with a status other than OK, as a gRPC client reports it.</summary>
internal sealed class GrpcCallException : Exception
{
    public GrpcCallException(StatusCode status, string message)
        : base($"{status}: {message}")
    {
        Status = status;
        Detail = message;
    }

    public StatusCode Status { get; }

    public string Detail { get; }
}
