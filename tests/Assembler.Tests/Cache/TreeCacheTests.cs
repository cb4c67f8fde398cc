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
