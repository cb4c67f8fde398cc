using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using OrasAssemble.CsiNode.Grpc;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// A gRPC client over a unix socket built on <see cref="HttpClient"/> alone (HTTP/2 with prior knowledge), speaking
/// what grpc-go clients such as kubelet send: POST, <c>application/grpc</c>, <c>te: trailers</c>, <c>grpc-timeout</c>.
/// All calls share one connection, so concurrent calls are concurrent HTTP/2 streams.
/// </summary>
internal sealed class GrpcSocketClient : IDisposable
{
    private readonly HttpClient _http;

    public GrpcSocketClient(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            EnableMultipleHttp2Connections = false,
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri("http://localhost"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Sends <paramref name="body"/> as is and returns the raw reply.</summary>
    public async Task<GrpcReply> SendAsync(
        string method, byte[] body, TimeSpan? timeout = null, string contentType = GrpcEndpoint.ContentType,
        IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (timeout is { } t)
        {
            request.Headers.TryAddWithoutValidation(GrpcTimeout.HeaderName, GrpcTimeout.Format(t));
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new GrpcReply(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            Flatten(response.Headers),
            bytes.Length == 0 || response.StatusCode != HttpStatusCode.OK ? [] : GrpcFrame.DecodeAll(bytes),
            Flatten(response.TrailingHeaders));
    }

    /// <summary>A unary call; a status other than OK is thrown as <see cref="GrpcCallException"/>.</summary>
    public async Task<TResponse> CallAsync<TResponse>(string method, IMessage request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>, new()
    {
        var reply = await SendAsync(method, GrpcFrame.Encode(request.ToByteArray()), timeout, cancellationToken: cancellationToken);
        if (reply.HttpStatus != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"HTTP {(int)reply.HttpStatus} from {method}");
        }

        var status = (GrpcStatusCode)(reply.Status ?? throw new InvalidOperationException($"no grpc-status from {method}"));
        if (status != GrpcStatusCode.Ok)
        {
            throw new GrpcCallException(status, GrpcMessageText.Decode(reply.Message ?? ""));
        }

        var message = Assert.Single(reply.Messages);
        return new MessageParser<TResponse>(() => new TResponse()).ParseFrom(message);
    }

    public void Dispose() => _http.Dispose();

    private static Dictionary<string, string> Flatten(HttpHeaders headers) =>
        headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
}
