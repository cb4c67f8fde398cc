using Microsoft.Extensions.Logging.Abstractions;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.State;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Publishing;

/// <summary>The publisher's decisions with the kernel and the registry replaced: a fake mount table and a scripted preparer.</summary>
public sealed class VolumePublisherTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeMounter _mounter = new();
    private readonly ScriptedPreparer _preparer = new();
    private readonly PublishRecordStore _records;
    private readonly VolumePublisher _publisher;

    public VolumePublisherTests()
    {
        _records = new PublishRecordStore(_dir.Combine("state", "volumes"));
        _publisher = NewPublisher();
    }

    public void Dispose() => _dir.Dispose();

    private VolumePublisher NewPublisher() => new(_preparer, _mounter, _records, TreeCache.Open(new CacheOptions { Root = _dir.Combine("state") }).Ledger,
        new NodeMetrics(), TimeProvider.System, TimeSpan.FromSeconds(30), NullLogger<VolumePublisher>.Instance);

    private PublishRequest Request(string volumeId = "csi-1", string? target = null) => new(
        volumeId, target ?? _dir.Combine("pods", volumeId, "mount"),
        new VolumeAttributes { Reference = Reference.Parse("registry.example/app:1") },
        new Dictionary<string, string>(), new PodInfo("default", "web-0", "uid-1", "default"));

    [Fact]
    public async Task A_failed_mount_leaves_no_record_no_mount_and_no_target_directory()
    {
        _mounter.FailNextBind = "mount refused";
        var request = Request();

        var thrown = await Assert.ThrowsAsync<VolumeException>(() => _publisher.PublishAsync(request, null, CancellationToken.None));

        Assert.Equal(FailureKind.Internal, thrown.Kind);
        Assert.Contains("mount refused", thrown.Message, StringComparison.Ordinal);
        Assert.Null(_records.Find(request.TargetPath));
        Assert.Empty(_mounter.Mounts);
        Assert.False(Directory.Exists(request.TargetPath));
        await _publisher.PublishAsync(request, null, CancellationToken.None);
        Assert.True(_mounter.Mounts.ContainsKey(request.TargetPath));
    }

    [Fact]
    public async Task Concurrent_publishes_of_one_volume_prepare_it_once()
    {
        _preparer.Hold();
        var request = Request();

        var calls = Enumerable.Range(0, 5).Select(_ => _publisher.PublishAsync(request, null, CancellationToken.None)).ToList();
        await _preparer.StartedAsync();
        _preparer.Release();
        var results = await Task.WhenAll(calls);

        Assert.Equal(1, _preparer.Calls);
        Assert.Single(_mounter.Mounts);
        Assert.Single(results, r => r.Mounted);
    }

    [Fact]
    public async Task A_preparation_past_the_deadline_is_pending_and_the_next_call_collects_it()
    {
        _preparer.Hold();
        var request = Request();

        var pending = await Assert.ThrowsAsync<VolumeException>(() =>
            _publisher.PublishAsync(request, DateTimeOffset.UtcNow.AddSeconds(1.2), CancellationToken.None));
        _preparer.Release();
        var result = await _publisher.PublishAsync(request, null, CancellationToken.None);

        Assert.Equal(FailureKind.Pending, pending.Kind);
        Assert.True(result.Mounted);
        Assert.Equal(1, _preparer.Calls);
    }

    [Fact]
    public async Task A_failed_preparation_is_reported_and_not_remembered()
    {
        _preparer.FailWith = new VolumeException(FailureKind.Denied, "no");
        var request = Request();

        await Assert.ThrowsAsync<VolumeException>(() => _publisher.PublishAsync(request, null, CancellationToken.None));
        _preparer.FailWith = null;
        await _publisher.PublishAsync(request, null, CancellationToken.None);

        Assert.Equal(2, _preparer.Calls);
    }

    [Fact]
    public async Task Something_else_mounted_at_the_target_is_a_conflict()
    {
        var request = Request();
        _mounter.BindReadOnly("/elsewhere", request.TargetPath);

        var thrown = await Assert.ThrowsAsync<VolumeException>(() => _publisher.PublishAsync(request, null, CancellationToken.None));

        Assert.Equal(FailureKind.Conflict, thrown.Kind);
        Assert.Equal(0, _preparer.Calls);
    }

    [Fact]
    public async Task Unpublishing_with_another_volume_id_leaves_the_mount_alone()
    {
        var request = Request();
        await _publisher.PublishAsync(request, null, CancellationToken.None);

        var thrown = await Assert.ThrowsAsync<VolumeException>(() => _publisher.UnpublishAsync("csi-other", request.TargetPath, CancellationToken.None));

        Assert.Equal(FailureKind.NotFound, thrown.Kind);
        Assert.True(_mounter.Mounts.ContainsKey(request.TargetPath));
    }

    [Fact]
    public async Task Reconcile_keeps_mounted_records_and_drops_the_rest_with_their_empty_directories()
    {
        var kept = Request("csi-kept");
        var lost = Request("csi-lost");
        await _publisher.PublishAsync(kept, null, CancellationToken.None);
        await _publisher.PublishAsync(lost, null, CancellationToken.None);
        _mounter.Unmount(lost.TargetPath);
        File.WriteAllText(_dir.Combine("state", "volumes", "garbage.json"), "{not json");

        var (keptCount, dropped) = NewPublisher().Reconcile();

        Assert.Equal((1, 1), (keptCount, dropped));
        Assert.NotNull(_records.Find(kept.TargetPath));
        Assert.Null(_records.Find(lost.TargetPath));
        Assert.False(Directory.Exists(lost.TargetPath));
        Assert.Equal(["tree-csi-kept"], _publisher.TreesInUse());
    }

    [Fact]
    public async Task Publish_stats_and_unpublish_ask_about_their_target_without_reading_the_mount_table()
    {
        var requests = Enumerable.Range(0, 3).Select(i => Request($"csi-{i}")).ToList();

        foreach (var request in requests)
        {
            await _publisher.PublishAsync(request, null, CancellationToken.None);
            await _publisher.PublishAsync(request, null, CancellationToken.None);
            _ = _publisher.Stats(request.VolumeId, request.TargetPath);
        }

        foreach (var request in requests)
        {
            await _publisher.UnpublishAsync(request.VolumeId, request.TargetPath, CancellationToken.None);
        }

        Assert.Equal(0, _mounter.TableReads);
        Assert.Empty(_mounter.Mounts);
        Assert.Empty(Directory.GetFiles(_dir.Combine("state", "volumes")));
    }

    [Fact]
    public async Task A_mounted_tree_has_its_last_use_written_after_the_publish_answers()
    {
        var ledger = TreeCache.Open(new CacheOptions { Root = _dir.Combine("state") }).Ledger;
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await _publisher.PublishAsync(Request(), null, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ledger.LastUsed("tree-csi-1") is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.InRange(ledger.LastUsed("tree-csi-1") ?? DateTimeOffset.MinValue, before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    public async Task A_record_cut_short_by_a_power_loss_is_dropped_at_start_and_its_target_publishes_again(int zeroes)
    {
        var request = Request();
        Directory.CreateDirectory(request.TargetPath);
        File.WriteAllBytes(_records.FileFor(request.TargetPath), new byte[zeroes]);
        File.WriteAllText(_dir.Combine("state", "volumes", $".{Path.GetFileName(_records.FileFor(request.TargetPath))}.0123abcd.partial"), "{\"volumeId\":");

        var (kept, dropped) = NewPublisher().Reconcile();
        var result = await _publisher.PublishAsync(request, null, CancellationToken.None);

        Assert.Equal((0, 0), (kept, dropped));
        Assert.True(result.Mounted);
        Assert.Equal("/cache/trees/csi-1", _mounter.Mounts[request.TargetPath]);
        Assert.Equal("tree-csi-1", _records.Find(request.TargetPath)?.TreeKey);
        Assert.Equal([_records.FileFor(request.TargetPath)], Directory.GetFiles(_dir.Combine("state", "volumes")));
    }

    [Fact]
    public async Task An_unreadable_record_of_a_mounted_target_keeps_its_tree_from_collection_until_the_target_is_unpublished()
    {
        var request = Request();
        Directory.CreateDirectory(request.TargetPath);
        _mounter.BindReadOnly("/var/lib/oras-assemble/trees/tree-mounted", request.TargetPath);
        File.WriteAllText(_records.FileFor(request.TargetPath), "{\"volumeId\":\"csi-1\",\"tar");
        var publisher = NewPublisher();

        var (kept, dropped) = publisher.Reconcile();
        var inUse = publisher.TreesInUse();
        var thrown = await Assert.ThrowsAsync<VolumeException>(() => publisher.PublishAsync(request, null, CancellationToken.None));
        await publisher.UnpublishAsync(request.VolumeId, request.TargetPath, CancellationToken.None);

        Assert.Equal((1, 0), (kept, dropped));
        Assert.Equal(["tree-mounted"], inUse);
        Assert.Equal(FailureKind.Conflict, thrown.Kind);
        Assert.Equal(
            $"{request.TargetPath} is mounted but its publish record {_records.FileFor(request.TargetPath)} could not be read when the plugin started; unpublish it first",
            thrown.Message);
        Assert.Empty(_mounter.Mounts);
        Assert.False(File.Exists(_records.FileFor(request.TargetPath)));
        Assert.Empty(publisher.TreesInUse());
        Assert.Equal(0, _preparer.Calls);
    }

    /// <summary>Returns a tree named after the volume; can be held, and told to fail.</summary>
    private sealed class ScriptedPreparer : ITreePreparer
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public ScriptedPreparer() => _gate.SetResult();

        public int Calls => _calls;

        public Exception? FailWith { get; set; }

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public Task StartedAsync() => _started.Task;

        // Its trees are plain directories no cache removes: holding one takes nothing.
        public Task<IDisposable> HoldAsync(PreparedTree tree, CancellationToken cancellationToken) => Task.FromResult<IDisposable>(NoHold.Instance);

        public async Task<PreparedTree> PrepareAsync(PublishRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            _started.TrySetResult();
            await _gate.Task;
            return FailWith is { } failure
                ? throw failure
                : new PreparedTree("tree-" + request.VolumeId, "/cache/trees/" + request.VolumeId, request.Attributes.Describe(), "sha256:abc", Built: true);
        }
    }

    private sealed class NoHold : IDisposable
    {
        public static readonly NoHold Instance = new();

        public void Dispose()
        {
        }
    }
}
