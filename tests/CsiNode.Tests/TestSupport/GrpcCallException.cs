using OrasAssemble.CsiNode.Grpc;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>A call ended with a status other than OK, as a gRPC client reports it.</summary>
internal sealed class GrpcCallException : Exception
{
    public GrpcCallException(GrpcStatusCode status, string message)
        : base($"{status}: {message}")
    {
        Status = status;
        Detail = message;
    }

    public GrpcStatusCode Status { get; }

    public string Detail { get; }
}
