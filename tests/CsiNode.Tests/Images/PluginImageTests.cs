using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Images;

/// <summary>
/// The node plugin's image in podman, run as the daemonset runs it (<see cref="PluginContainer"/>), called from the
/// host by the grpc-go client as node-driver-registrar and kubelet call it. A volume it publishes inside the container
/// must appear at the target on the host, which it does only through the bidirectional propagation of the kubelet
/// directory.
/// </summary>
public sealed partial class PluginImageTests(AnonymousRegistryFixture registry, PluginContainer plugin)
    : IClassFixture<AnonymousRegistryFixture>, IClassFixture<PluginContainer>, IDisposable
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });

    public void Dispose() => _registry.Dispose();

    [Fact]
    public async Task The_image_answers_the_identity_calls_the_registrar_and_kubelet_make()
    {
        var (exit, output) = await GoGrpcClient.RunAsync("-socket", plugin.Socket, "-dial", "unix", "-identity", "-probes", "5");

        Assert.True(exit == 0, output + await plugin.LogsAsync());
        // The version of the plugin these tests were built with: the image holds this checkout's plugin.
        var version = typeof(NodeOptions).Assembly.GetName().Version?.ToString(3);
        Assert.Equal(
            [
                $"GetPluginInfo ok name=csi.oras.land version={version}",
                "Probe ok ready=true calls=6",
                $"NodeGetInfo ok node_id={PluginContainer.NodeId}",
                "NodeGetCapabilities ok rpcs=GET_VOLUME_STATS,",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var user = await plugin.Podman.CheckAsync("exec", plugin.Id, "grep", "^Uid:", "/proc/1/status");
        Assert.Equal("Uid:\t0\t0\t0\t0", user.Trim());
    }

    [Fact]
    public async Task A_volume_published_in_the_container_appears_at_its_target_on_the_host()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, registry.Server.Host, "plugin-image");

        var (exit, output) = await GoGrpcClient.RunAsync(
            "-socket", plugin.Socket, "-dial", "unix", "-kubelet", plugin.Kubelet, "-reference", spec, "-probes", "0");

        Assert.True(exit == 0, output + await plugin.LogsAsync());
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var target = Assert.Single(TargetPattern().Matches(lines[3])).Groups[1].Value;
        Assert.StartsWith(Path.Combine(plugin.Kubelet, "pods") + "/", target, StringComparison.Ordinal);
        // The client lists the target on the host: the tree is there only if the container's mount propagated.
        Assert.EndsWith(" entries=app.jar,bin,conf,", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^NodeGetVolumeStats ok used=bytes=[1-9][0-9]*,inodes=[1-9][0-9]*,$", lines[4]);
        Assert.Equal("NodeUnpublishVolume#1 ok target_exists=false", lines[5]);
        Assert.Equal("NodeUnpublishVolume#2 ok target_exists=false", lines[6]);
        Assert.False(MountTable.IsMountPoint(target));
        // The blobs landed in the host directory the daemonset mounts as the cache, so they outlive the container.
        Assert.Contains(Directory.EnumerateFiles(plugin.Cache, "*", SearchOption.AllDirectories), f => f.Contains("/blobs/sha256/", StringComparison.Ordinal));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = PrometheusText.Parse(await http.GetStringAsync(plugin.MetricsUri));
        Assert.Equal(1, metrics.Value("oras_assemble_csi_publish_total", ("outcome", "OK")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_unpublish_total", ("outcome", "OK")));
    }

    [GeneratedRegex(@"^NodePublishVolume ok target=(\S+) ")]
    private static partial Regex TargetPattern();
}
