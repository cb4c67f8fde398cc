using System.Net;
using System.Net.Sockets;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>A mirror that fails is passed over for the registry: the pod still starts, the plugin logs and counts it.</summary>
public sealed class MirrorFallbackTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _registry.Dispose();

    [Fact]
    public async Task A_dead_mirror_is_logged_and_counted_on_metrics_and_the_pod_gets_its_tree_from_the_registry()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "dead-mirror");
        var mirror = $"127.0.0.1:{RefusedPort()}";
        await using var plugin = await PluginUnderTest.StartAsync($$"""
            registries:
              "127.0.0.1:*": { plainHttp: true }
              "{{Server.Host}}": { plainHttp: true, mirrors: ["{{mirror}}"] }
              "{{mirror}}": { plainHttp: true, mirrorTimeout: 2s }
            """);

        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("web-0"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec });

        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target));
        var warnings = plugin.Logs.Entries.Where(e => e.StartsWith("Warning ", StringComparison.Ordinal)
            && e.Contains($"mirror {mirror} for {Server.Host} passed over for ", StringComparison.Ordinal)).ToList();
        Assert.Contains(warnings, e => e.Contains("passed over for blob sha256:", StringComparison.Ordinal));
        Assert.All(warnings, e => Assert.Contains("Connection refused", e, StringComparison.Ordinal));
        using var http = new HttpClient();
        var metrics = PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));
        Assert.Equal(warnings.Count, metrics.Value("oras_assemble_csi_mirror_failures_total", ("mirror", mirror), ("reason", "unreachable")));
        Assert.Equal("counter", metrics.Types["oras_assemble_csi_mirror_failures_total"]);
    }

    /// <summary>A loopback port nothing listens on: bound, then closed.</summary>
    private static int RefusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
