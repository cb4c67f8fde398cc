using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// A Grpc.Net.Client channel to a unix socket (authority <c>localhost</c>, as kubelet 1.26 and later send), calling
/// methods by their wire names. All calls share one connection unless <c>connectionPerCall</c> is set, in which
/// case each call dials, calls and hangs up, as kubelet does.
/// </summary>
internal sealed class GrpcSocketClient(string socketPath, bool connectionPerCall = false) : IDisposable
{
    private readonly Lazy<GrpcChannel> _shared = new(() => Open(socketPath));

    public string SocketPath => socketPath;

    /// <summary>A unary call; a status other than OK is thrown as <see cref="GrpcCallException"/>.</summary>
    public async Task<TResponse> CallAsync<TResponse>(string method, IMessage request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TResponse : class, IMessage<TResponse>, new()
    {
        var parts = method.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var descriptor = new Method<IMessage, TResponse>(MethodType.Unary, parts[0], parts[1],
            Marshallers.Create<IMessage>(m => m.ToByteArray(), _ => throw new NotSupportedException()),
            Marshallers.Create(r => r.ToByteArray(), bytes => new MessageParser<TResponse>(() => new TResponse()).ParseFrom(bytes)));
        var channel = connectionPerCall ? Open(socketPath) : _shared.Value;
        try
        {
            var options = new CallOptions(deadline: timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken: cancellationToken);
            return await channel.CreateCallInvoker().AsyncUnaryCall(descriptor, null, options, request);
        }
        catch (RpcException e)
        {
            throw new GrpcCallException(e.StatusCode, e.Status.Detail);
        }
        finally
        {
            if (connectionPerCall)
            {
                channel.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (_shared.IsValueCreated)
        {
            _shared.Value.Dispose();
        }
    }

    private static GrpcChannel Open(string socketPath) => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
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
        },
        MaxReceiveMessageSize = null,
        MaxSendMessageSize = null,

        // Disposing the channel then closes its connection too, so a per-call client hangs up as kubelet does instead of
        // leaving the connection to the handler's idle timeout.
        DisposeHttpClient = true,
    });
}
