using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrasAssemble.CsiNode.Grpc;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Grpc;

/// <summary>The transport alone: Kestrel on a unix socket in a temp directory, serving the methods a test gives it.</summary>
internal sealed class GrpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory _dir;

    private GrpcTestServer(WebApplication app, TempDirectory dir, string socketPath)
    {
        _app = app;
        _dir = dir;
        SocketPath = socketPath;
        Client = new GrpcSocketClient(socketPath);
    }

    public string SocketPath { get; }

    public GrpcSocketClient Client { get; }

    public static async Task<GrpcTestServer> StartAsync(GrpcMethodTable methods, TempDirectory? dir = null, string? socketPath = null, int maxMessageBytes = GrpcEndpoint.DefaultMaxMessageBytes)
    {
        dir ??= new TempDirectory();
        socketPath ??= dir.Combine("csi.sock");
        new UnixSocketEndpoint(socketPath).PrepareToListen();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socketPath, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var endpoint = new GrpcEndpoint(methods, NullLogger<GrpcEndpoint>.Instance, TimeProvider.System, maxMessageBytes);
        app.Run(endpoint.HandleAsync);
        await app.StartAsync();
        return new GrpcTestServer(app, dir, socketPath);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}
