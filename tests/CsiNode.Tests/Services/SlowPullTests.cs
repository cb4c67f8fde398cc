using System.Diagnostics;
using System.Text.RegularExpressions;
using Grpc.Core;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>
/// A pull longer than kubelet's deadline: the call answers ABORTED before the deadline, the pull carries on, and
/// kubelet's retry mounts the finished tree. The registry sits behind a proxy that holds blob downloads.
/// </summary>
public sealed class SlowPullTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private GatedRegistryProxy? _proxy;

    private GatedRegistryProxy Proxy => _proxy!;

    public async Task InitializeAsync() => _proxy = await GatedRegistryProxy.StartAsync(fixture.Server.BaseUri);

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        _registry.Dispose();
    }

    [Fact]
    public async Task A_pull_past_the_deadline_answers_aborted_in_time_and_the_retry_mounts_the_finished_tree()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, fixture.Server.Host, "slow", Proxy.Host);
        await using var plugin = await PluginUnderTest.StartAsync();
        var request = plugin.Kubelet.PublishRequest(TestPod.Create("web-0"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec });
        var deadline = TimeSpan.FromSeconds(3);

        // The connection is made and the publish path warmed up first, as on a node that has served pods before.
        var warm = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("warm-up"),
            new Dictionary<string, string> { [VolumeContextKeys.Reference] = $"{Proxy.Host}/slow/absent:1" }));
        Assert.Equal(StatusCode.NotFound, warm.Status);
        Proxy.Hold();

        var clock = Stopwatch.StartNew();
        var first = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(request, deadline));
        var answeredAfter = clock.Elapsed;
        var second = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(request, deadline));
        Assert.False(MountTable.IsMountPoint(request.TargetPath));
        Proxy.Release();
        await RetryWhileAbortedAsync(() => plugin.Kubelet.PublishAsync(request, deadline));

        Assert.Equal(StatusCode.Aborted, first.Status);
        Assert.Equal(StatusCode.Aborted, second.Status);
        Assert.Contains("still being prepared", first.Detail, StringComparison.Ordinal);
        Assert.InRange(answeredAfter, TimeSpan.FromSeconds(1.5), deadline - TimeSpan.FromMilliseconds(200));
        Assert.True(MountTable.IsMountPoint(request.TargetPath));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(request.TargetPath));
        Assert.Equal(SampleContent.BlobCount, Proxy.BlobGets.Count);
        Assert.All(Proxy.BlobGets.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_call_without_a_deadline_waits_the_configured_publish_wait_then_answers_aborted()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, fixture.Server.Host, "nodeadline", Proxy.Host);
        await using var plugin = await PluginUnderTest.StartAsync(PluginUnderTest.DefaultConfig + "\nlimits: { publishWait: 2s }");
        var request = plugin.Kubelet.PublishRequest(TestPod.Create("web-0"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec });
        Proxy.Hold();

        // No deadline is sent; the client only gives up (CANCELLED) if the plugin never answers.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();
        var thrown = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Grpc.CallAsync<NodePublishVolumeResponse>(
            "/csi.v1.Node/NodePublishVolume", request, cancellationToken: giveUp.Token));
        var answeredAfter = clock.Elapsed;
        Proxy.Release();

        Assert.Equal(StatusCode.Aborted, thrown.Status);
        Assert.InRange(answeredAfter, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_registry_slow_to_answer_headers_is_retried_visibly_and_aborted_says_which_registry_blob_and_attempt()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, fixture.Server.Host, "slow-headers", Proxy.Host);
        await using var plugin = await PluginUnderTest.StartAsync(PluginUnderTest.DefaultConfig + "\ntransfer: { responseTimeout: 1s }\n");
        var request = plugin.Kubelet.PublishRequest(TestPod.Create("web-0"), new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec });
        var deadline = TimeSpan.FromSeconds(3);
        var warm = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("warm-up"),
            new Dictionary<string, string> { [VolumeContextKeys.Reference] = $"{Proxy.Host}/slow/absent:1" }));
        Assert.Equal(StatusCode.NotFound, warm.Status);
        Proxy.Hold();

        var first = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(request, deadline));
        Proxy.Release();
        await RetryWhileAbortedAsync(() => plugin.Kubelet.PublishAsync(request, deadline));

        Assert.Equal(StatusCode.Aborted, first.Status);
        var waiting = Regex.Match(first.Detail, @"still being prepared; last retry \d+s ago: blob (?<digest>sha256:[0-9a-f]{64}) from (?<registry>[^,]+), " +
            @"attempt (?<attempt>\d) of 5 after no response headers within 1s \(transfer\.responseTimeout\); the next attempt will find it$");
        Assert.True(waiting.Success, first.Detail);
        Assert.Equal(Proxy.Host, waiting.Groups["registry"].Value);
        Assert.Contains(Proxy.BlobGets.Keys, path => path.EndsWith("/blobs/" + waiting.Groups["digest"].Value, StringComparison.Ordinal));
        Assert.InRange(int.Parse(waiting.Groups["attempt"].Value, System.Globalization.CultureInfo.InvariantCulture), 2, 4);
        var retries = plugin.Logs.Entries.Where(e => e.StartsWith("Warning ", StringComparison.Ordinal) && e.Contains("[500]", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(retries);
        Assert.All(retries, e => Assert.Contains(
            $"volume {request.VolumeId}: retrying blob sha256:", e, StringComparison.Ordinal));
        Assert.Contains(retries, e => e.Contains($"from {Proxy.Host}, attempt 2 of 5, after no response headers within 1s (transfer.responseTimeout)", StringComparison.Ordinal));
        Assert.True(MountTable.IsMountPoint(request.TargetPath));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(request.TargetPath));
    }

    /// <summary>Kubelet retries with backoff; once the blobs flow the tree takes a moment to build.</summary>
    private static async Task RetryWhileAbortedAsync(Func<Task> publish)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await publish();
                return;
            }
            catch (GrpcCallException e) when (e.Status == StatusCode.Aborted && attempt < 10)
            {
            }
        }
    }
}
