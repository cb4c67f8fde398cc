using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>What one stream brought back: response headers, the DATA bytes, trailers, or how it ended early.</summary>
internal sealed record Http2Reply(IReadOnlyList<HpackField> Headers, byte[] Data, IReadOnlyList<HpackField> Trailers, uint? ResetCode, bool ConnectionClosed)
{
    /// <summary><c>grpc-status</c> from the trailers, or from the headers of a trailers-only answer.</summary>
    public int? GrpcStatus => Trailers.Concat(Headers).FirstOrDefault(f => f.Name == "grpc-status") is { } s ? int.Parse(s.Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? Header(string name) => Headers.Concat(Trailers).FirstOrDefault(f => f.Name == name)?.Value;

    /// <summary>The one message of a unary answer, without its 5-byte prefix.</summary>
    public byte[] Message => Data.Length >= 5 ? Data[5..] : throw new InvalidOperationException($"no message in {Data.Length} bytes of DATA (status {GrpcStatus}, reset {ResetCode})");
}
