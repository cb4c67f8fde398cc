using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Credentials;
using OrasAssemble.CsiNode.Eviction;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Outputs;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Services;
using OrasAssemble.CsiNode.State;
using OrasAssemble.CsiNode.Tenancy;
using OrasAssemble.CsiNode.Transport;
using OrasAssemble.Hosting;
using OrasAssemble.Registry.Auth;
using Prometheus;

namespace OrasAssemble.CsiNode.Hosting;

/// <summary>
/// The running plugin: Grpc.AspNetCore serving the CSI services over HTTP/2 on the unix socket (every request's
/// authority made one Kestrel accepts by <see cref="AuthorityRewriter"/>) and <c>/metrics</c> over HTTP/1.1 on TCP, the publish records reconciled with the mount table before the socket opens, and the cache
/// collector running beside them. The composition root: everything is wired here and nowhere else.
/// </summary>
internal sealed partial class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RegistryClientPool _clients;
    private readonly NodeMetrics _metrics;
    private readonly PodPullSecretReader? _podSecrets;
    private readonly CancellationTokenSource _stopping = new();
    private Task _collector = Task.CompletedTask;

    private NodeHost(WebApplication app, RegistryClientPool clients, NodeMetrics metrics, PodPullSecretReader? podSecrets, NodeOptions options)
    {
        _app = app;
        _clients = clients;
        _metrics = metrics;
        _podSecrets = podSecrets;
        Options = options;
    }

    public NodeOptions Options { get; }

    /// <summary>The largest gRPC message either way. CSI messages are small; this bounds what one call may make us buffer.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Where <c>/metrics</c> is served (with the port chosen when 0 was asked for), or null.</summary>
    public Uri? MetricsUri { get; private set; }

    /// <param name="configureLogging">Replaces the default logging (one JSON object per line on standard output).</param>
    public static async Task<NodeHost> StartAsync(NodeOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(BuilderOptions.For());
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

            // Grpc.AspNetCore reports each malformed request at Information; our interceptor logs every call.
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // kubelet sends every publish of the node over one connection; a busy node has more than 100 at once.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            Http2Bounds.Apply(kestrel.Limits.Http2);
            kestrel.ListenUnixSocket(options.Endpoint.Path, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                var rewriterLogger = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<AuthorityRewriter>();
                listen.Use(next => connection => AuthorityRewriter.ServeAsync(connection, next, rewriterLogger));
            });
            if (options.MetricsEndpoint is { } metricsEndpoint)
            {
                kestrel.Listen(metricsEndpoint, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => Parts.Create(options, services.GetRequiredService<ILoggerFactory>(), services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(services => services.GetRequiredService<Parts>().Metrics);
        builder.Services.AddSingleton(services => services.GetRequiredService<Parts>().Identity);
        builder.Services.AddSingleton(services => services.GetRequiredService<Parts>().Node);
        builder.Services.AddHostedService(services => services.GetRequiredService<Parts>().Pusher);
        builder.Services.AddGrpc(grpc =>
        {
            // A CSI request is a few kilobytes: a larger length prefix is refused as soon as it is read.
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
            grpc.IgnoreUnknownServices = false;
            grpc.Interceptors.Add<CallInterceptor>();
        });
        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var parts = app.Services.GetRequiredService<Parts>();
        var (publisher, metrics) = (parts.Publisher, parts.Metrics);

        // The metrics listener is the only TCP one; everything on the unix socket is gRPC.
        app.UseWhen(context => context.Connection.LocalIpAddress is not null, tcp =>
        {
            tcp.UseMetricServer(settings => settings.Registry = metrics.Registry, "/metrics");
            tcp.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        app.MapGrpcService<IdentityService>();
        app.MapGrpcService<NodeService>();

        // Refused first if another plugin is live on the socket; then the records are settled before any call arrives.
        options.Endpoint.PrepareToListen();
        var logger = loggers.CreateLogger<NodeHost>();
        var (kept, dropped) = publisher.Reconcile();
        parts.Outputs.Reconcile();
        LogReconciled(logger, kept, dropped);
        var host = new NodeHost(app, parts.Clients, metrics, parts.PodSecrets, options);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        host.MetricsUri = options.MetricsEndpoint is null ? null : MetricsAddress(app);
        host._collector = Task.Run(() => parts.Collector.RunAsync(host._stopping.Token), CancellationToken.None);
        LogStarted(logger, options.DriverName, options.Version, options.NodeId, options.Endpoint.Path, options.Root);
        return host;
    }

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _collector.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _clients.Dispose();
        _podSecrets?.Dispose();
        _metrics.Dispose();
        _stopping.Dispose();
    }

    private static Uri? MetricsAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var tcp = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal) && !a.Contains("unix:", StringComparison.Ordinal));
        return tcp is null ? null : new Uri(new Uri(tcp), "/metrics");
    }

    /// <summary>Everything the services need, made once when the container first asks.</summary>
    private sealed record Parts(
        IdentityService Identity, NodeService Node, VolumePublisher Publisher, OutputVolumes Outputs, OutputPusher Pusher, CacheCollector Collector,
        RegistryClientPool Clients, NodeMetrics Metrics, PodPullSecretReader? PodSecrets)
    {
        public static Parts Create(NodeOptions options, ILoggerFactory loggers, TimeProvider time)
        {
            var cache = TreeCache.Open(new CacheOptions { Root = options.Root });
            var state = Path.Combine(options.Root, "node");
            var records = new PublishRecordStore(Path.Combine(state, "volumes"));
            LegacyNodeState.MoveInto(cache, state);
            var metrics = new NodeMetrics();
            ICredentialProvider? nodeCredentials = options.RegistryConfig is { } registryConfig ? new DockerConfigCredentialStore(registryConfig) : null;
            var clients = new RegistryClientPool(options.Config.Registries, options.Config.Transfer, nodeCredentials, time, loggers.CreateLogger<RegistryClientPool>());
            var verified = new VerifiedAccess(options.Config.Tenancy.VerifiedFor, time);
            var podSecrets = options.Config.Credentials.PodPullSecrets
                ? new PodPullSecretReader(ApiServerConnection.Create(options), options.Config.Credentials, time)
                : null;
            var preparer = new TreePreparer(
                cache, clients, new VolumeCredentialSource(podSecrets), new NamespacePolicy(options.Config.Namespaces), verified, options.Config, metrics);
            var mounter = new LinuxMounter();
            var publisher = new VolumePublisher(preparer, mounter, records, cache.Ledger, metrics, time, options.Config.Limits.PublishWait, loggers.CreateLogger<VolumePublisher>());
            var collector = new CacheCollector(cache, publisher, options.Config.Cache, metrics, time, loggers.CreateLogger<CacheCollector>());

            // Beside the publish records, not in the cache: collection never sees what pods wrote.
            var outbox = new OutputStore(Path.Combine(state, "outputs"));
            var outputs = new OutputVolumes(
                outbox, mounter, records, new NamespacePolicy(options.Config.Namespaces), options.NodeId, time, loggers.CreateLogger<OutputVolumes>());
            var pusher = new OutputPusher(outbox, clients, options.Config.Outputs, new OutputMetrics(metrics), time, loggers.CreateLogger<OutputPusher>());
            return new Parts(
                new IdentityService(options, cache, loggers.CreateLogger<IdentityService>()),
                new NodeService(publisher, outputs, options, metrics, loggers.CreateLogger<NodeService>()),
                publisher, outputs, pusher, collector, clients, metrics, podSecrets);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Driver} {Version} serving node {NodeId} on {Socket}, cache {Root}")]
    private static partial void LogStarted(ILogger logger, string driver, string version, string nodeId, string socket, string root);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "publish records reconciled with the mount table: {Kept} still mounted, {Dropped} dropped")]
    private static partial void LogReconciled(ILogger logger, int kept, int dropped);
}
