using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Eviction;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.State;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Eviction;

/// <summary>Collection against a real cache: trees built by the executor, blobs hard-linked into them.</summary>
public sealed class CacheCollectorTests : IDisposable
{
    private const int FileBytes = 256 * 1024;

    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();
    private readonly TreeCache _cache;
    private readonly PublishRecordStore _records;
    private readonly TreeLedger _ledger;
    private readonly VolumePublisher _publisher;

    public CacheCollectorTests()
    {
        _cache = TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") });
        _records = new PublishRecordStore(_dir.Combine("cache", "node", "volumes"));
        _ledger = _cache.Ledger;
        _publisher = new VolumePublisher(new Unused(), new FakeMounter(), _records, _ledger, new NodeMetrics(), TimeProvider.System, TimeSpan.FromSeconds(1), NullLogger<VolumePublisher>.Instance);
    }

    public void Dispose() => _dir.Dispose();

    private CacheCollector Collector(long budget, TimeProvider time, NodeMetrics? metrics = null) => new(
        _cache, _publisher, new CacheSettings { Budget = budget, MinIdle = TimeSpan.FromMinutes(10) },
        metrics ?? new NodeMetrics(), time, NullLogger<CacheCollector>.Instance);

    private async Task<string> TreeAsync(string name)
    {
        await ContentBuilder.PushArtifactAsync(_store, $"registry.example/{name}:1", [($"{name}.bin", new string(name[0], FileBytes), "application/octet-stream")]);
        var executor = new SpecExecutor(_cache, new StoreTargetLocator(_store, "memory"), new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64") });
        var tree = await executor.AssembleAsync(WholeArtifactSpec.Create(Reference.Parse($"registry.example/{name}:1"), []));
        _ledger.Touch(tree.Key);
        return tree.Key;
    }

    [Fact]
    public async Task Over_budget_idle_unmounted_trees_and_their_blobs_go_and_a_mounted_tree_stays()
    {
        var mounted = await TreeAsync("mounted");
        var idle1 = await TreeAsync("idle1");
        var idle2 = await TreeAsync("idle2");
        _records.Save(new PublishRecord { VolumeId = "csi-1", TargetPath = "/pods/1/mount", TreeKey = mounted, Source = "x" });
        using var metrics = new NodeMetrics();
        var later = new ShiftedTime(TimeSpan.FromHours(1));

        var size = Collector(budget: FileBytes * 2, later, metrics).Collect();

        Assert.True(_cache.HasTree(mounted));
        Assert.False(_cache.HasTree(idle1));
        Assert.False(_cache.HasTree(idle2));
        Assert.InRange(size, FileBytes, FileBytes * 2);
        Assert.Equal("mounted.bin", Path.GetFileName(Assert.Single(Directory.GetFiles(_cache.TreePath(mounted)))));
        using var scrape = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(scrape);
        Assert.Equal(size, PrometheusText.Parse(Encoding.UTF8.GetString(scrape.ToArray())).Value("oras_assemble_csi_cache_size_bytes"));
        Assert.Null(_ledger.Sources(idle1));
    }

    [Fact]
    public async Task While_a_pull_is_in_flight_unlinked_blobs_stay()
    {
        var idle = await TreeAsync("idle");
        var blobs = Directory.GetFiles(_cache.Blobs.BlobsDirectory, "*", SearchOption.AllDirectories);
        var building = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var build = _cache.GetOrBuildTreeAsync(new string('c', 64), async (dir, _) =>
        {
            building.SetResult();
            await release.Task;
        });
        await building.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Collector(budget: 1, new ShiftedTime(TimeSpan.FromHours(1))).Collect();
        release.SetResult();
        await build;

        Assert.False(_cache.HasTree(idle));
        Assert.Equal(blobs, Directory.GetFiles(_cache.Blobs.BlobsDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Trees_used_recently_stay_even_over_budget()
    {
        var key = await TreeAsync("recent");

        Collector(budget: 1, TimeProvider.System).Collect();

        Assert.True(_cache.HasTree(key));
    }

    [Fact]
    public async Task Within_budget_nothing_is_removed()
    {
        var key = await TreeAsync("small");

        Collector(budget: 0, new ShiftedTime(TimeSpan.FromHours(1))).Collect();
        Collector(budget: FileBytes * 100, new ShiftedTime(TimeSpan.FromHours(1))).Collect();

        Assert.True(_cache.HasTree(key));
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }

    private sealed class Unused : ITreePreparer
    {
        public Task<PreparedTree> PrepareAsync(PublishRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IDisposable> HoldAsync(PreparedTree tree, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
