using OrasAssemble.Cache;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Cache;

public sealed class TreeCacheTests : IDisposable
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TreeCache Open() => TreeCache.Open(new CacheOptions { Root = _dir.Path, LockTimeout = TimeSpan.FromSeconds(20) });

    private static Func<string, CancellationToken, Task> Writing(Action onBuild, TimeSpan? slow = null) => async (dir, ct) =>
    {
        onBuild();
        await Task.Delay(slow ?? TimeSpan.FromMilliseconds(50), ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "hello.txt"), "hello", ct);
    };

    [Fact]
    public async Task Concurrent_requests_for_one_key_share_one_build()
    {
        var cache = Open();
        var builds = 0;

        var paths = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ =>
            Task.Run(() => cache.GetOrBuildTreeAsync(Key, Writing(() => Interlocked.Increment(ref builds))))));

        Assert.Equal(1, builds);
        Assert.All(paths, p => Assert.Equal(cache.TreePath(Key), p));
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(paths[0], "hello.txt")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
    }

    [Fact]
    public async Task Two_caches_on_one_directory_build_once_through_the_lock_file()
    {
        // Two instances have separate in-process maps, as two processes would: only the lock file joins them.
        var first = Open();
        var second = Open();
        var builds = 0;

        await Task.WhenAll(
            first.GetOrBuildTreeAsync(Key, Writing(() => Interlocked.Increment(ref builds), TimeSpan.FromMilliseconds(300))),
            second.GetOrBuildTreeAsync(Key, Writing(() => Interlocked.Increment(ref builds), TimeSpan.FromMilliseconds(300))));

        Assert.Equal(1, builds);
        Assert.True(second.HasTree(Key));
    }

    [Fact]
    public async Task A_failed_build_leaves_no_tree_and_no_temp_and_can_be_retried()
    {
        var cache = Open();

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => cache.GetOrBuildTreeAsync(Key, async (dir, _) =>
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "half.txt"), "half");
            throw new InvalidDataException("layer sha256:abc: entry ../x escapes the tree");
        }));

        Assert.Equal("layer sha256:abc: entry ../x escapes the tree", error.Message);
        Assert.False(cache.HasTree(Key));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));

        var builds = 0;
        await cache.GetOrBuildTreeAsync(Key, Writing(() => builds++));
        Assert.Equal(1, builds);
        Assert.True(cache.HasTree(Key));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_stop_the_build()
    {
        var cache = Open();
        var release = new TaskCompletionSource();
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrBuildTreeAsync(Key, async (dir, _) =>
        {
            await release.Task;
            await File.WriteAllTextAsync(Path.Combine(dir, "late.txt"), "done");
        }, impatient.Token));

        release.SetResult();
        var path = await cache.GetOrBuildTreeAsync(Key, (_, _) => throw new InvalidOperationException("must not build twice"));

        Assert.Equal("done", await File.ReadAllTextAsync(Path.Combine(path, "late.txt")));
    }

    [Fact]
    public async Task A_build_that_fails_after_its_caller_gave_up_is_not_handed_to_the_next_caller()
    {
        var cache = Open();
        var release = new TaskCompletionSource();
        var failed = new TaskCompletionSource();
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrBuildTreeAsync(Key, async (_, _) =>
        {
            await release.Task;
            failed.SetResult();
            throw new IOException("registry went away");
        }, impatient.Token));
        release.SetResult();
        await failed.Task;
        await Task.Delay(50);

        var builds = 0;
        await cache.GetOrBuildTreeAsync(Key, Writing(() => builds++));

        Assert.Equal(1, builds);
        Assert.True(cache.HasTree(Key));
    }

    [Fact]
    public void Opening_removes_stale_temp_leftovers_and_keeps_fresh_ones()
    {
        var cache = Open();
        var stale = Directory.CreateDirectory(Path.Combine(cache.TempDirectory, "tree-dead")).FullName;
        File.WriteAllText(Path.Combine(stale, "partial"), "x");
        Directory.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        var fresh = Directory.CreateDirectory(Path.Combine(cache.TempDirectory, "tree-live")).FullName;

        Open();

        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(fresh));
    }

    [Fact]
    public void Opening_reclaims_what_dead_builds_left_at_once_since_their_locks_are_free()
    {
        var cache = Open();
        var blobHex = new string('b', 64);
        string[] dead =
        [
            Path.Combine(cache.TempDirectory, $"tree-{Key}-{Guid.NewGuid():N}"),
            Path.Combine(cache.TempDirectory, $"tree-{Key}-{Guid.NewGuid():N}-stage"),
            Path.Combine(cache.TempDirectory, $"evict-{Key}-{Guid.NewGuid():N}"),
        ];
        foreach (var directory in dead)
        {
            Directory.CreateDirectory(Path.Combine(directory, "usr", "lib"));
            File.WriteAllBytes(Path.Combine(directory, "usr", "lib", "big"), new byte[64 * 1024]);
        }

        var partial = Path.Combine(cache.TempDirectory, $"{blobHex}.{Guid.NewGuid():N}.partial");
        File.WriteAllBytes(partial, new byte[64 * 1024]);

        Open();

        Assert.All(dead, d => Assert.False(Directory.Exists(d), d));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task Opening_leaves_the_temporary_tree_of_a_build_that_is_still_running()
    {
        var building = Open();
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var build = building.GetOrBuildTreeAsync(Key, async (dir, _) =>
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "hello.txt"), "hello");
            started.SetResult(dir);
            await release.Task;
        });
        var temp = await started.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // A second instance on the same directory, as another process opening the cache would be.
        Open();

        Assert.True(File.Exists(Path.Combine(temp, "hello.txt")));
        release.SetResult();
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(await build, "hello.txt")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(building.TempDirectory));
    }

    [Fact]
    public async Task Blobs_are_not_removed_while_a_build_that_has_seen_them_runs_in_any_process()
    {
        var cache = Open();
        var content = new byte[128 * 1024];
        new Random(7).NextBytes(content);
        var descriptor = Descriptor.Create(content, "application/octet-stream");
        var blob = await cache.EnsureBlobAsync(descriptor, _ => Task.FromResult<Stream>(new MemoryStream(content)));
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var build = cache.GetOrBuildTreeAsync(Key, async (dir, _) =>
        {
            // The build finds the blob cached, then takes its time before linking it into the tree.
            await cache.EnsureBlobAsync(descriptor, _ => throw new InvalidOperationException("the blob is cached"));
            seen.SetResult();
            await release.Task;
            File.Copy(blob, Path.Combine(dir, "copied"));
        });
        await seen.Task.WaitAsync(TimeSpan.FromSeconds(20));

        var collector = Open();
        var during = collector.RemoveUnlinkedBlobs(DateTime.MaxValue, long.MaxValue);

        Assert.Equal((0, 0L), during);
        Assert.True(File.Exists(blob));
        release.SetResult();
        await build;
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(cache.TreePath(Key), "copied")));

        // Once no build runs, a blob no tree links to goes.
        var after = collector.RemoveUnlinkedBlobs(DateTime.MaxValue, long.MaxValue);
        Assert.Equal(1, after.Blobs);
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public async Task A_blob_given_an_old_time_counts_as_written_when_it_was_when_unlinked_blobs_are_removed()
    {
        var cache = Open();
        var content = new byte[4096];
        new Random(11).NextBytes(content);
        var blob = await cache.EnsureBlobAsync(Descriptor.Create(content, "application/octet-stream"), _ => Task.FromResult<Stream>(new MemoryStream(content)));
        // What linking it into a tree as an ORAS file does: the file's fixed time, on the blob's shared inode.
        File.SetLastWriteTimeUtc(blob, DateTime.UnixEpoch);

        var young = cache.RemoveUnlinkedBlobs(DateTime.UtcNow.AddMinutes(-10), long.MaxValue);
        var old = cache.RemoveUnlinkedBlobs(DateTime.UtcNow.AddMinutes(1), long.MaxValue);

        Assert.Equal((0, 0L), young);
        Assert.Equal(1, old.Blobs);
        Assert.False(File.Exists(blob));
    }

    [Fact]
    public async Task A_held_tree_or_one_the_caller_finds_in_use_under_the_locks_is_not_removed()
    {
        var cache = Open();
        await cache.GetOrBuildTreeAsync(Key, Writing(() => { }));
        var other = Open();

        using (await other.HoldTreeAsync(Key))
        {
            Assert.Null(cache.TryRemoveTree(Key));
        }

        Assert.Null(cache.TryRemoveTree(Key, stillUnused: () => false));
        Assert.True(cache.HasTree(Key));
        Assert.NotNull(cache.TryRemoveTree(Key, stillUnused: () => true));
        Assert.False(cache.HasTree(Key));
    }

    [Fact]
    public async Task A_removed_tree_is_gone_whole_and_its_bytes_are_counted_once()
    {
        var cache = Open();
        await cache.GetOrBuildTreeAsync(Key, async (dir, _) =>
        {
            await File.WriteAllBytesAsync(Path.Combine(dir, "a"), new byte[64 * 1024]);
            File.CreateSymbolicLink(Path.Combine(dir, "b"), "a");
        });
        var before = cache.MeasureDiskBytes();

        var freed = cache.TryRemoveTree(Key);

        Assert.False(cache.HasTree(Key));
        Assert.InRange(freed!.Value, 64 * 1024, before);
        Assert.Null(cache.TryRemoveTree(Key));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
    }

    [Fact]
    public async Task A_blob_is_fetched_once_by_concurrent_callers_in_two_caches()
    {
        var first = Open();
        var second = Open();
        var content = new byte[256 * 1024];
        new Random(5).NextBytes(content);
        var descriptor = Descriptor.Create(content, "application/octet-stream");
        var opens = 0;
        Func<CancellationToken, Task<Stream>> open = async _ =>
        {
            Interlocked.Increment(ref opens);
            await Task.Delay(100);
            return new MemoryStream(content);
        };

        var paths = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            (i % 2 == 0 ? first : second).EnsureBlobAsync(descriptor, open)));

        Assert.Equal(1, opens);
        Assert.All(paths, p => Assert.Equal(first.Blobs.GetPath(descriptor.Digest), p));
        Assert.Equal(content, await File.ReadAllBytesAsync(paths[0]));
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("")]
    public void Keys_that_are_not_hashes_are_refused(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => Open().TreePath(key));
        Assert.StartsWith($"invalid tree key \"{key}\": expected 64 lowercase hex characters", error.Message, StringComparison.Ordinal);
    }
}
