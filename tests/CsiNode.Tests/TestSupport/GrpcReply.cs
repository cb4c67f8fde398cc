using System.Net;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>Everything a gRPC response carried, undecoded, for tests of the transport itself.</summary>
internal sealed record GrpcReply(
    HttpStatusCode HttpStatus,
    string? ContentType,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyList<byte[]> Messages,
    IReadOnlyDictionary<string, string> Trailers)
{
    /// <summary><c>grpc-status</c> from the trailers, or from the headers of a trailers-only response.</summary>
    public int? Status => (Trailers.GetValueOrDefault("grpc-status") ?? Headers.GetValueOrDefault("grpc-status")) is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? Message => Trailers.GetValueOrDefault("grpc-message") ?? Headers.GetValueOrDefault("grpc-message");
}
