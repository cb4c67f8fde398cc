using Google.Protobuf;

namespace OrasAssemble.CsiNode.Grpc;

/// <summary>The unary methods a server answers, by full name (<c>/package.Service/Method</c>).</summary>
internal sealed class GrpcMethodTable
{
    private readonly Dictionary<string, Func<byte[], CallContext, Task<byte[]>>> _methods = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _methods.Keys;

    /// <param name="service">The service's full name, e.g. <c>csi.v1.Node</c>.</param>
    /// <param name="method">The method's name, e.g. <c>NodePublishVolume</c>.</param>
    public GrpcMethodTable Add<TRequest, TResponse>(string service, string method, Func<TRequest, CallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(handler);
        var parser = new MessageParser<TRequest>(() => new TRequest());
        _methods.Add($"/{service}/{method}", async (payload, context) =>
        {
            TRequest request;
            try
            {
                request = parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(GrpcStatusCode.Internal, $"the request is not a valid {typeof(TRequest).Name}: {e.Message}", e);
            }

            var response = await handler(request, context).ConfigureAwait(false);
            return response.ToByteArray();
        });
        return this;
    }

    public bool TryGet(string path, out Func<byte[], CallContext, Task<byte[]>> method) =>
        _methods.TryGetValue(path, out method!);
}
