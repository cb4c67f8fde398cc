using System.Net;
using System.Net.Sockets;
using OrasAssemble.Tests.Containers;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// The node plugin's image (deploy/csi/Dockerfile, built by scripts/build-test-images.sh) running in podman as
/// deploy/csi/daemonset.yaml runs it: privileged, as the image's user (root), the socket directory at /csi, the
/// kubelet directory with bidirectional propagation at the same path inside as outside (as kubelet's target paths
/// need), the cache and the node config mounted in, the daemonset's arguments. One container serves a test class;
/// disposing it removes the container and every mount under its directory, even after a failed assertion.
/// </summary>
public sealed class PluginContainer : IAsyncLifetime
{
    public const string NodeId = "image-test-node";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _temp = new();
    private Podman? _podman;

    public string Socket => _temp.Combine("plugin", "csi.sock");

    /// <summary>The host directory that stands for /var/lib/kubelet, with pods/ below it.</summary>
    public string Kubelet => _temp.Combine("kubelet");

    /// <summary>The host directory mounted at the plugin's --root.</summary>
    public string Cache => _temp.Combine("cache");

    /// <summary>The plugin's /metrics on the host network.</summary>
    public Uri MetricsUri { get; } = new($"http://127.0.0.1:{FreePort()}/metrics");

    public string Id { get; private set; } = "";

    internal Podman Podman => _podman ?? throw new InvalidOperationException("the container is not started");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_temp.Combine("plugin"));
        Directory.CreateDirectory(Path.Combine(Kubelet, "pods"));
        Directory.CreateDirectory(Cache);
        Directory.CreateDirectory(_temp.Combine("config"));
        await File.WriteAllTextAsync(_temp.Combine("config", "config.yaml"), PluginUnderTest.DefaultConfig);

        // On a node /var/lib/kubelet sits on a shared mount; here the directory is made one, so that mounts made in the
        // container's view of it propagate back.
        await MountAsync("--bind", Kubelet, Kubelet);
        await MountAsync("--make-shared", Kubelet);

        _podman = await Podman.CreateAsync();
        var image = await Podman.LoadAsync(await TestImages.GetLayoutAsync(), TestImages.Csi);
        Id = await Podman.StartAsync(
            "--privileged",
            "--network", "host",
            "-v", $"{_temp.Combine("plugin")}:/csi",
            "-v", $"{Kubelet}:{Kubelet}:rshared",
            "-v", $"{Cache}:/var/lib/oras-assemble",
            "-v", $"{_temp.Combine("config")}:/etc/oras-assemble:ro",
            image,
            // The daemonset's arguments as kubelet expands them, but for the metrics address: the host network is
            // shared with other tests.
            "--endpoint=unix:///csi/csi.sock",
            $"--node-id={NodeId}",
            "--driver-name=csi.oras.land",
            "--root=/var/lib/oras-assemble",
            "--config=/etc/oras-assemble/config.yaml",
            $"--metrics-addr={MetricsUri.Authority}");
        await WaitForSocketAsync();
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_podman is not null)
            {
                await _podman.DisposeAsync();
            }
        }
        finally
        {
            // The kubelet directory's own bind mount, and any volume a failed test left mounted below it.
            await Podman.UnmountAllUnderAsync(_temp.Path);
            _temp.Dispose();
        }
    }

    /// <summary>The container's last log lines, to explain a failure.</summary>
    public async Task<string> LogsAsync() => "\nplugin logs:\n" + (await Podman.RunAsync("logs", Id)).Tail();

    private async Task WaitForSocketAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!File.Exists(Socket))
        {
            var (running, logs) = await Podman.StateAsync(Id);
            if (!running)
            {
                throw new InvalidOperationException($"the plugin's container stopped before it served {Socket}:\n{logs}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the plugin's container did not create {Socket} within {StartTimeout.TotalSeconds:0} s{await LogsAsync()}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task MountAsync(params string[] arguments)
    {
        var run = await ProgramRun.RunAsync("mount", arguments, TimeSpan.FromMinutes(1));
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{run.CommandLine}' failed: {run.Output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
