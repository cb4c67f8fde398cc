using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Mirroring;

/// <summary>
/// Several nodes behind the pull-through mirror deploy/mirror ships (a real nginx configured from its template) in
/// front of a real registry: many pods of one spec starting at once on every node reach the registry once per blob,
/// and a mirror that dies mid-pull costs no pod its volume.
/// </summary>
public sealed partial class PullThroughMirrorTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private const int Nodes = 5;
    private const int PodsPerNode = 20;

    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _registry.Dispose();

    [Fact]
    public async Task Five_nodes_starting_twenty_pods_each_at_once_fetch_each_blob_once_from_the_registry()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "mirror-fanout");
        await using var mirror = await NginxMirror.StartAsync(Server.BaseUri);
        var plugins = await StartNodesAsync(mirror.Host);
        try
        {
            Server.ClearRequests();

            var targets = await PublishEverywhereAsync(plugins, spec);

            Assert.All(targets, target => Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target)));
            var upstream = Server.Requests.Where(r => r.Method == "GET" && DigestPath().IsMatch(r.PathWithoutQuery)).ToList();
            var blobGets = upstream.Where(r => r.PathWithoutQuery.Contains("/blobs/", StringComparison.Ordinal))
                .GroupBy(r => Digest(r.PathWithoutQuery)).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(SampleContent.BlobCount, blobGets.Count);
            Assert.All(blobGets, pair => Assert.True(pair.Value == 1, $"the registry served blob {pair.Key} {pair.Value} times"));
            Assert.All(upstream.GroupBy(r => Digest(r.PathWithoutQuery)),
                g => Assert.True(g.Count() == 1, $"the registry served {g.Key} {g.Count()} times:\n{string.Join('\n', g.Select(r => r.Path))}"));

            // Each node asked the mirror once per blob; the mirror went upstream for the first and served the rest from its cache.
            var mirrored = mirror.Requests.Where(r => r.Method == "GET" && r.Path.Contains("/blobs/sha256:", StringComparison.Ordinal)).ToList();
            Assert.Equal(Nodes * SampleContent.BlobCount, mirrored.Count);
            Assert.All(mirrored, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(SampleContent.BlobCount, mirrored.Count(r => r.CacheStatus == "MISS"));
            Assert.All(plugins, p => Assert.DoesNotContain(p.Logs.Entries, e => e.Contains("passed over", StringComparison.Ordinal)));
        }
        finally
        {
            await StopAsync(plugins);
        }
    }

    [Fact]
    public async Task A_mirror_killed_while_the_nodes_pull_through_it_costs_no_pod_its_volume()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "mirror-killed");
        // The mirror reaches the registry over a link that holds blob downloads until released.
        await using var link = await GatedRegistryProxy.StartAsync(Server.BaseUri);
        await using var mirror = await NginxMirror.StartAsync(new Uri($"http://{link.Host}/"));
        var plugins = await StartNodesAsync(mirror.Host);
        try
        {
            link.Hold();
            var publishes = PublishEverywhereAsync(plugins, spec);
            await WaitUntilAsync(() => link.BlobGets.Count > 0, TimeSpan.FromSeconds(60), "the mirror to ask the registry for a blob");

            await mirror.KillAsync();
            link.Release();
            var targets = await publishes;

            Assert.All(targets, target => Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target)));
            Assert.Equal(Nodes * PodsPerNode, targets.Count);
            var passedOver = plugins.SelectMany(p => p.Logs.Entries)
                .Where(e => e.StartsWith("Warning ", StringComparison.Ordinal)
                    && e.Contains($"mirror {mirror.Host} for {Server.Host} passed over for blob sha256:", StringComparison.Ordinal))
                .ToList();
            Assert.NotEmpty(passedOver);
            Assert.All(plugins.SelectMany(p => p.Logs.Entries),
                e => Assert.False(e.StartsWith("Error ", StringComparison.Ordinal), e));
        }
        finally
        {
            await StopAsync(plugins);
        }
    }

    private async Task<List<PluginUnderTest>> StartNodesAsync(string mirror)
    {
        // The mirror's entry as deploy/mirror/csi/node-config.yaml has it, on loopback.
        var config = $$"""
            registries:
              "127.0.0.1:*": { plainHttp: true }
              "{{Server.Host}}": { plainHttp: true, mirrors: ["{{mirror}}"] }
              "{{mirror}}": { plainHttp: true, mirrorTimeout: 6m }
            """;
        var plugins = new List<PluginUnderTest>();
        try
        {
            for (var i = 0; i < Nodes; i++)
            {
                plugins.Add(await PluginUnderTest.StartAsync(config, nodeId: $"node-{i}"));
            }
        }
        catch
        {
            await StopAsync(plugins);
            throw;
        }

        return plugins;
    }

    /// <summary>Every node publishes its pods at once; returns each pod's target once all are mounted.</summary>
    private static async Task<IReadOnlyList<string>> PublishEverywhereAsync(IReadOnlyList<PluginUnderTest> plugins, string spec)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = spec };
        return await Task.WhenAll(plugins.SelectMany(plugin => Enumerable.Range(0, PodsPerNode)
            .Select(i => plugin.Kubelet.PublishAsync(TestPod.Create($"job-{i}"), volume))));
    }

    private static async Task StopAsync(IEnumerable<PluginUnderTest> plugins)
    {
        foreach (var plugin in plugins)
        {
            await plugin.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            }
        }
    }

    private static string Digest(string path) => path[(path.LastIndexOf('/') + 1)..];

    [GeneratedRegex("^/v2/.+/(blobs|manifests)/sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPath();
}
