using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Transport;

/// <summary>
/// A real grpc-go ClientConn (Debian's grpc-go 1.33) against the real plugin and a real registry, in every way
/// kubelet and the sidecars dial the socket: identity calls, 50 probes on one connection as a livenessprobe makes,
/// then an ephemeral inline volume published, measured and unpublished twice exactly as kubelet sends them.
/// </summary>
public sealed partial class GoClientTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private PluginUnderTest? _plugin;

    private PluginUnderTest Plugin => _plugin!;

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync();

    public async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        _registry.Dispose();
    }

    [Theory]
    [InlineData("localhost", false)] // kubelet 1.26 and later, one connection for all calls
    [InlineData("localhost", true)]  // ... and a connection per call, as kubelet makes them
    [InlineData("unix", false)]      // the sidecars: node-driver-registrar, livenessprobe
    [InlineData("path", false)]      // kubelet up to 1.25 and tools that dial the path: the raw path as authority
    [InlineData("path", true)]
    [InlineData("escaped", false)]   // newer grpc-go with a context dialer: the percent-encoded path
    public async Task Every_dial_form_of_a_grpc_go_client_publishes_and_unpublishes_an_inline_volume(string form, bool perCall)
    {
        var spec = await SampleContent.PushSpecAsync(_registry, fixture.Server.Host, $"go-{form}-{(perCall ? "percall" : "shared")}");
        var kubelet = Plugin.Directory.Combine("kubelet");
        string[] args = ["-socket", Plugin.Grpc.SocketPath, "-dial", form, "-kubelet", kubelet, "-reference", spec, "-probes", "50"];

        var (exit, output) = await GoGrpcClient.RunAsync(perCall ? [.. args, "-per-call"] : args);

        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("GetPluginInfo ok name=csi.oras.land", lines[0]);
        Assert.Equal("Probe ok ready=true calls=51", lines[1]);
        Assert.Equal("NodeGetInfo ok node_id=test-node", lines[2]);
        var target = Assert.Single(TargetPattern().Matches(lines[3])).Groups[1].Value;
        Assert.StartsWith(Path.Combine(kubelet, "pods") + "/", target, StringComparison.Ordinal);
        Assert.EndsWith("/volumes/kubernetes.io~csi/app/mount", target, StringComparison.Ordinal);
        Assert.EndsWith(" entries=app.jar,bin,conf,", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^NodeGetVolumeStats ok used=bytes=[1-9][0-9]*,inodes=[1-9][0-9]*,$", lines[4]);
        Assert.Equal("NodeUnpublishVolume#1 ok target_exists=false", lines[5]);
        Assert.Equal("NodeUnpublishVolume#2 ok target_exists=false", lines[6]);
        Assert.Equal(7, lines.Length);
        Assert.False(MountTable.IsMountPoint(target));
        Assert.Contains(Plugin.Logs.Entries, e => e.Contains("[200]", StringComparison.Ordinal) && e.Contains("go-client-" + form, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^NodePublishVolume ok target=(\S+) ")]
    private static partial Regex TargetPattern();
}
