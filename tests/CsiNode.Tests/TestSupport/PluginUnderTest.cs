using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Transport;
using OrasAssemble.CsiNode.Hosting;
using OrasAssemble.Tests.Kubernetes;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// The plugin as kubelet meets it: the real host (real mounts, real cache) on a socket in a temp directory that also
/// holds the cache and a kubelet pod directory. Disposing it stops the plugin and detaches every mount it left, even
/// after a failed assertion.
/// </summary>
internal sealed class PluginUnderTest : IAsyncDisposable
{
    /// <summary>The test registries speak plain HTTP on loopback.</summary>
    public const string DefaultConfig = """
        registries:
          "127.0.0.1:*": { plainHttp: true }
        """;

    private readonly NodeOptions _options;
    private NodeHost? _host;

    private PluginUnderTest(TempDirectory directory, NodeOptions options)
    {
        Directory = directory;
        _options = options;
        Grpc = new GrpcSocketClient(options.Endpoint.Path);
        Kubelet = new KubeletClient(Grpc, directory.Combine("kubelet"));
    }

    public TempDirectory Directory { get; }

    public string Root => _options.Root;

    public GrpcSocketClient Grpc { get; }

    public KubeletClient Kubelet { get; }

    public LogSink Logs { get; } = new();

    public NodeHost Host => _host ?? throw new InvalidOperationException("the plugin is stopped");

    /// <param name="registryConfig">The content of a docker config.json given as --registry-config, if any.</param>
    /// <param name="apiServer">Given as --api-server, with <see cref="FakeApiServer.Token"/> in --api-token-file.</param>
    /// <param name="nodeId">The node's --node-id; several plugins in one test stand for several nodes.</param>
    public static async Task<PluginUnderTest> StartAsync(
        string config = DefaultConfig, string? registryConfig = null, Uri? apiServer = null, string nodeId = "test-node")
    {
        var directory = new TempDirectory();
        if (registryConfig is not null)
        {
            await File.WriteAllTextAsync(directory.Combine("docker-config.json"), registryConfig);
        }

        if (apiServer is not null)
        {
            await File.WriteAllTextAsync(directory.Combine("api-token"), FakeApiServer.Token + "\n");
        }

        var options = new NodeOptions
        {
            Endpoint = new UnixSocketEndpoint(directory.Combine("plugin", "csi.sock")),
            NodeId = nodeId,
            Root = directory.Combine("cache"),
            MetricsEndpoint = NodeOptions.ParseMetricsAddress("127.0.0.1:0"),
            Config = NodeConfigParser.Parse(config, "node-config.yaml"),
            RegistryConfig = registryConfig is null ? null : directory.Combine("docker-config.json"),
            ApiServer = apiServer,
            ApiTokenFile = apiServer is null ? null : directory.Combine("api-token"),
        };
        var plugin = new PluginUnderTest(directory, options);
        try
        {
            await plugin.StartHostAsync();
        }
        catch
        {
            await plugin.DisposeAsync();
            throw;
        }

        return plugin;
    }

    /// <summary>Stops the plugin process-equivalent and starts a new one on the same directories, as an upgrade does.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartHostAsync();
    }

    public async Task StopAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Grpc.Dispose();
            MountTable.UnmountAllUnder(Directory.Path);
            Directory.Dispose();
        }
    }

    private async Task StartHostAsync() => _host = await NodeHost.StartAsync(_options, logging =>
    {
        logging.AddProvider(Logs);
        logging.SetMinimumLevel(LogLevel.Debug);
        logging.AddFilter("Microsoft", LogLevel.Warning);
    });
}
