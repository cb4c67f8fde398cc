using System.Text.RegularExpressions;
using OrasAssemble.Content;
using OrasAssemble.IO;
using OrasAssemble.Oci;
using OrasAssemble.Text;
using OrasAssemble.Threading;

namespace OrasAssemble.Cache;

/// <summary>
/// The node-local cache: verified blobs once each (<c>blobs/</c>), and immutable composed trees (<c>trees/&lt;key&gt;/</c>)
/// that are complete or absent. A tree is built under <c>tmp/</c>, flushed to disk and renamed into place, so a
/// process killed at any moment leaves nothing half-built where readers look. Identical work is done once: within
/// the process by sharing one task per key, across processes by a lock file per key.
/// </summary>
/// <remarks>
/// Every writer holds a lock while it works, and everything that removes entries takes the same locks: a tree's
/// build lock guards its temporary directory and its removal, and each build holds a share of the builds lock, so
/// blobs are only removed when no build (here or in another process) may be about to use one it has seen. Whatever
/// a dead process left in <c>tmp/</c> is found by its free lock and reclaimed when the cache is next opened.
/// </remarks>
public sealed partial class TreeCache
{
    private const int MaxMirrorAttempts = 8;

    private readonly SingleFlight<string> _builds = new();
    private readonly SingleFlight<string> _fetches = new();
    private readonly CacheOptions _options;

    private TreeCache(CacheOptions options)
    {
        _options = options;
        Root = Path.GetFullPath(options.Root);
        TreesDirectory = Path.Combine(Root, "trees");
        TempDirectory = Path.Combine(Root, "tmp");
        LocksDirectory = Path.Combine(Root, "locks");
        Pins = new TreePins(this, Path.Combine(Root, "pins"));
        Ledger = new TreeLedger(Path.Combine(Root, "ledger"), TempDirectory);
        // Trees hard-link ORAS file layers from here, and such files are 0644 in a tree.
        Blobs = new BlobStore(new BlobStoreOptions
        {
            Root = Root,
            TempDirectory = TempDirectory,
            FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        });
    }

    public string Root { get; }

    public string TreesDirectory { get; }

    public string TempDirectory { get; }

    public string LocksDirectory { get; }

    /// <summary>Which tree a spec or a reference (with tags) last resolved to: what lets <c>IfNotPresent</c> skip the registry.</summary>
    public TreePins Pins { get; }

    /// <summary>Each tree's sources and last use.</summary>
    public TreeLedger Ledger { get; }

    /// <summary>Every blob the cache holds, verified when it was written.</summary>
    public BlobStore Blobs { get; }

    [GeneratedRegex("^[a-f0-9]{64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyGrammar();

    // tmp/ names that say whose lock guards them: tree-<key>-..., evict-<key>-... (the tree's) and <hex>.<id>.partial (the blob fetch's).
    [GeneratedRegex("^(?:(?:tree|evict)-(?<tree>[a-f0-9]{64})-|(?<blob>[a-f0-9]{64})\\.[a-f0-9]{32}\\.partial\\z)", RegexOptions.CultureInvariant)]
    private static partial Regex TempOwner();

    private string BuildsLock => Path.Combine(LocksDirectory, "builds");

    private string TreeLock(string key) => Path.Combine(LocksDirectory, $"tree-{key}");

    private string BlobLock(string hex) => Path.Combine(LocksDirectory, $"blob-{hex}");

    private string UseLock(string key) => Path.Combine(LocksDirectory, $"use-{key}");

    /// <summary>Opens (creating if needed) a cache directory and clears what dead processes left in <c>tmp/</c>.</summary>
    public static TreeCache Open(CacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cache = new TreeCache(options);
        Directory.CreateDirectory(cache.TreesDirectory);
        Directory.CreateDirectory(cache.TempDirectory);
        Directory.CreateDirectory(cache.LocksDirectory);
        Directory.CreateDirectory(cache.Pins.Directory);
        Directory.CreateDirectory(cache.Ledger.Directory);
        cache.RemoveStaleTemp();
        return cache;
    }

    /// <summary>Where the tree for <paramref name="key"/> lives once built.</summary>
    public string TreePath(string key) => Path.Combine(TreesDirectory, ValidKey(key));

    public bool HasTree(string key) => Directory.Exists(TreePath(key));

    /// <summary>
    /// The path of the tree for <paramref name="key"/>, building it with <paramref name="build"/> (which fills the
    /// empty directory it is given) when it is not cached. Concurrent callers for one key share one build; a build
    /// keeps going when the callers waiting on it give up, so a retry finds it done.
    /// </summary>
    public async Task<string> GetOrBuildTreeAsync(string key, Func<string, CancellationToken, Task> build, CancellationToken cancellationToken = default)
    {
        var path = TreePath(key);
        if (Directory.Exists(path))
        {
            return path;
        }

        return await _builds.RunAsync(key, () => BuildAsync(key, build), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> BuildAsync(string key, Func<string, CancellationToken, Task> build)
    {
        var path = TreePath(key);
        using var held = await FileLock.AcquireAsync(TreeLock(key), _options.LockTimeout, $"building tree {key}", CancellationToken.None).ConfigureAwait(false);
        if (Directory.Exists(path))
        {
            return path;
        }

        // Held until the tree is in place: until then only this build's views link the blobs it fetched or found.
        using var building = await FileLock.AcquireSharedAsync(BuildsLock, _options.LockTimeout, "removing unused blobs", CancellationToken.None).ConfigureAwait(false);

        var temp = Path.Combine(TempDirectory, $"tree-{key}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            await build(temp, CancellationToken.None).ConfigureAwait(false);
            FileSystemSync.SyncFileSystemOf(temp);
            Directory.Move(temp, path);
            FileSystemSync.FlushDirectory(TreesDirectory);
            return path;
        }
        catch
        {
            TempTree.DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>
    /// Makes sure the blob is in <see cref="Blobs"/>, opening <paramref name="open"/> to fetch it only when it is not.
    /// Concurrent callers (in this process or another) fetch it once. Returns the blob's path.
    /// </summary>
    public async Task<string> EnsureBlobAsync(Descriptor descriptor, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken = default)
    {
        var path = Blobs.GetPath(descriptor.Digest);
        if (await Blobs.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            return path;
        }

        return await _fetches.RunAsync(descriptor.Digest, () => FetchAsync(descriptor, open), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> FetchAsync(Descriptor descriptor, Func<CancellationToken, Task<Stream>> open)
    {
        using var held = await FileLock.AcquireAsync(BlobLock(Digest.Encoded(descriptor.Digest)), _options.LockTimeout, $"fetching {descriptor.Digest}", CancellationToken.None).ConfigureAwait(false);
        var path = Blobs.GetPath(descriptor.Digest);
        if (await Blobs.ExistsAsync(descriptor).ConfigureAwait(false))
        {
            return path;
        }

        // A mirror that served wrong bytes is passed over for this digest from then on: opening again reaches the next
        // mirror or the registry. Each lying mirror costs one attempt; the bound is only a backstop.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var content = await open(CancellationToken.None).ConfigureAwait(false);
                await Blobs.PushAsync(descriptor, content).ConfigureAwait(false);
                return path;
            }
            catch (Registry.Remote.MirrorContentException) when (attempt < MaxMirrorAttempts)
            {
            }
        }
    }

    /// <summary>
    /// Fetches the blob into <see cref="Blobs"/> as <see cref="EnsureBlobAsync"/> does, telling <paramref name="growing"/>
    /// how far its temporary file has come, so that it can be read while it downloads. A blob already held is not
    /// fetched. A mirror that sent wrong bytes is not retried here (a reader may have used them): the
    /// <see cref="Registry.Remote.MirrorContentException"/> reaches the caller, and the next attempt passes that mirror over.
    /// On any failure nothing of the download is left in <c>tmp/</c> or <c>blobs/</c>. Returns the blob's path.
    /// </summary>
    internal async Task<string> StreamBlobAsync(GrowingBlob growing, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var descriptor = growing.Descriptor;
        var path = Blobs.GetPath(descriptor.Digest);
        try
        {
            if (!await Blobs.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
            {
                using var held = await FileLock.AcquireAsync(BlobLock(Digest.Encoded(descriptor.Digest)), _options.LockTimeout, $"fetching {descriptor.Digest}", cancellationToken).ConfigureAwait(false);
                if (!await Blobs.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
                {
                    var content = await open(cancellationToken).ConfigureAwait(false);
                    await using (content.ConfigureAwait(false))
                    {
                        await Blobs.PushAsync(descriptor, content, growing, cancellationToken).ConfigureAwait(false);
                    }

                    return path;
                }
            }

            growing.Verified(path);
            return path;
        }
        catch (Exception e)
        {
            growing.Failed(e);
            throw;
        }
    }

    /// <summary>
    /// Holds the tree for <paramref name="key"/> in use until disposed: <see cref="TryRemoveTree"/> leaves a held tree
    /// alone. A caller that found a tree and is about to use it (mount it) holds it first, then checks it still exists.
    /// Any number may hold one tree at once, in this process or others.
    /// </summary>
    public async Task<IDisposable> HoldTreeAsync(string key, CancellationToken cancellationToken = default) =>
        await FileLock.AcquireSharedAsync(UseLock(ValidKey(key)), _options.LockTimeout, $"removing tree {key}", cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Removes the tree for <paramref name="key"/> unless it is being built, held (<see cref="HoldTreeAsync"/>), already
    /// gone, or <paramref name="stillUnused"/> says otherwise when asked under those locks; moves it out of
    /// <c>trees/</c> first so a reader finds the whole tree or none. Returns the disk bytes that freed (files whose
    /// data a blob still holds free nothing), or null when it was left alone.
    /// </summary>
    public long? TryRemoveTree(string key, Func<bool>? stillUnused = null)
    {
        var path = TreePath(key);
        using var unheld = FileLock.TryAcquire(UseLock(key));
        using var held = unheld is null ? null : FileLock.TryAcquire(TreeLock(key));
        if (held is null || !Directory.Exists(path) || stillUnused?.Invoke() == false)
        {
            return null;
        }

        var doomed = Path.Combine(TempDirectory, $"evict-{key}-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(path, doomed);
        }
        catch (IOException)
        {
            return null;
        }

        var freed = DiskUsage.UniqueBytes(doomed);
        TempTree.DeleteQuietly(doomed);
        return freed;
    }

    /// <summary>
    /// Removes blobs no tree links to that were written before <paramref name="writtenBefore"/>, oldest first, until
    /// <paramref name="bytesToFree"/> are freed. While any build runs (in this process or another) it removes none,
    /// since a build may be about to use any blob it has seen.
    /// </summary>
    public (int Blobs, long Bytes) RemoveUnlinkedBlobs(DateTime writtenBefore, long bytesToFree)
    {
        using var quiet = FileLock.TryAcquire(BuildsLock);
        if (quiet is null || !Directory.Exists(Blobs.BlobsDirectory))
        {
            return (0, 0);
        }

        var unlinked = Directory.EnumerateFiles(Blobs.BlobsDirectory, "*", SearchOption.AllDirectories)
            // When it was written, not its content time: a blob linked as an ORAS file carries that file's fixed time.
            .Select(path => (Path: path, Info: FileIdentity.Read(path), Written: FileIdentity.WrittenUtc(path) ?? DateTime.MinValue))
            .Where(b => b.Info is { Links: 1 } && b.Written < writtenBefore)
            .OrderBy(b => b.Written)
            .ToList();
        var (count, freed) = (0, 0L);
        foreach (var blob in unlinked)
        {
            if (freed >= bytesToFree)
            {
                break;
            }

            File.Delete(blob.Path);
            freed += blob.Info!.Value.DiskBytes;
            count++;
        }

        return (count, freed);
    }

    /// <summary>Disk bytes of the cache's blobs and trees, each inode once (tree files are often hard links to blobs).</summary>
    public long MeasureDiskBytes() => DiskUsage.DistinctBytes([Blobs.BlobsDirectory, TreesDirectory]);

    /// <summary>
    /// Clears <c>tmp/</c> of what dead processes left: an entry whose guarding lock is free has no live writer, so it
    /// goes at once; an entry no lock guards (a pin or ledger entry being written) goes once it is older than the stale age.
    /// </summary>
    private void RemoveStaleTemp()
    {
        var cutoff = DateTime.UtcNow - _options.StaleTempAge;
        foreach (var entry in new DirectoryInfo(TempDirectory).EnumerateFileSystemInfos())
        {
            var owner = TempOwner().Match(entry.Name);
            if (!owner.Success)
            {
                if (entry.LastWriteTimeUtc < cutoff)
                {
                    TempTree.DeleteQuietly(entry.FullName);
                }

                continue;
            }

            var tree = owner.Groups["tree"];
            using var held = FileLock.TryAcquire(tree.Success ? TreeLock(tree.Value) : BlobLock(owner.Groups["blob"].Value));
            if (held is not null)
            {
                TempTree.DeleteQuietly(entry.FullName);
            }
        }
    }

    internal static bool IsKey(string key) => KeyGrammar().IsMatch(key);

    private static string ValidKey(string key) => KeyGrammar().IsMatch(key)
        ? key
        : throw new ArgumentException($"invalid tree key {QuotedValue.Of(key)}: expected 64 lowercase hex characters", nameof(key));
}
