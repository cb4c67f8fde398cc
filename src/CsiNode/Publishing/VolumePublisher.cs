using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrasAssemble.Cache;
using OrasAssemble.CsiNode.Metrics;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.State;
using OrasAssemble.Failures;
using OrasAssemble.Threading;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>
/// Publishes and unpublishes volumes: checks whether the work is already done, prepares the tree (once per volume,
/// carrying on in the background when the caller's deadline is near), bind-mounts it read-only, and keeps a record
/// of every mount on disk so a restarted plugin knows what is mounted where. Work on one target path is serialised;
/// different targets never wait on each other.
/// </summary>
internal sealed partial class VolumePublisher(
    ITreePreparer preparer, IMounter mounter, PublishRecordStore records, TreeLedger ledger, NodeMetrics metrics, TimeProvider time,
    TimeSpan waitWithoutDeadline, ILogger<VolumePublisher> logger)
{
    private static readonly TimeSpan MinMargin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxMargin = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a prepared tree is kept for the retry after a pending answer; well under the cache's minimum idle time,
    /// so a kept result never names a collected tree.
    /// </summary>
    private static readonly TimeSpan CompletedRetention = TimeSpan.FromSeconds(30);

    private readonly KeyedLock _targets = new();
    private readonly SingleFlight<PreparedTree> _preparations = new(CompletedRetention, time);
    private readonly ConcurrentDictionary<string, PullProgress> _progress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _mounting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, VolumeStats> _stats = new(StringComparer.Ordinal);

    /// <summary>
    /// Targets found mounted at start whose record could not be read, with the tree the mount table says each mounts
    /// (null when it is not a cache tree): kept from collection until the target is unpublished.
    /// </summary>
    private readonly ConcurrentDictionary<string, string?> _unrecorded = new(StringComparer.Ordinal);

    /// <summary>Trees mounted since their last use was written down; at most one entry per tree, however many pods mount it.</summary>
    private readonly ConcurrentDictionary<string, bool> _touches = new(StringComparer.Ordinal);
    private int _touching;

    /// <exception cref="VolumeException">Refused, conflicting, or still pending (the caller should call again).</exception>
    public async Task<PublishResult> PublishAsync(PublishRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        using (await _targets.LockAsync(request.TargetPath, cancellationToken).ConfigureAwait(false))
        {
            var started = Stopwatch.GetTimestamp();
            var done = AlreadyPublished(request);
            metrics.Phase(PublishPhase.Lookup, started);
            if (done is not null)
            {
                return done;
            }
        }

        var prepared = await WaitForTreeAsync(request, deadline, cancellationToken).ConfigureAwait(false);
        using (await _targets.LockAsync(request.TargetPath, cancellationToken).ConfigureAwait(false))
        {
            // Another call for this target may have finished while this one waited.
            var started = Stopwatch.GetTimestamp();
            var done = AlreadyPublished(request);
            metrics.Phase(PublishPhase.Lookup, started);
            if (done is not null)
            {
                return done;
            }

            // Held until the mount and its record exist: from then on the record keeps the tree from being removed.
            using (await preparer.HoldAsync(prepared, cancellationToken).ConfigureAwait(false))
            {
                Mount(request, prepared);
            }

            return new PublishResult(prepared.Key, prepared.Source, prepared.Digest, Mounted: true, CacheHit: !prepared.Built);
        }
    }

    /// <summary>Unmounts and removes the target; a target that is not published is already done.</summary>
    public async Task UnpublishAsync(string volumeId, string targetPath, CancellationToken cancellationToken)
    {
        using var held = await _targets.LockAsync(targetPath, cancellationToken).ConfigureAwait(false);
        var record = records.Find(targetPath);
        if (record is not null && record.VolumeId != volumeId)
        {
            throw new VolumeException(FailureKind.NotFound, $"{targetPath} holds volume {record.VolumeId}, not {volumeId}");
        }

        try
        {
            // Stacked mounts (from a crash between two attempts) all have to go before the directory can.
            for (var i = 0; i < 8 && mounter.IsMountPoint(targetPath); i++)
            {
                mounter.Unmount(targetPath);
            }

            if (Directory.Exists(targetPath))
            {
                Directory.Delete(targetPath);
            }
        }
        catch (IOException e)
        {
            throw new VolumeException(FailureKind.Internal, $"unpublish {targetPath}: {e.Message}", e);
        }

        if (record is not null)
        {
            records.Delete(targetPath);
            ledger.Touch(record.TreeKey);
        }
        else if (_unrecorded.TryRemove(targetPath, out var tree))
        {
            // Its unreadable record goes with the mount it stood for.
            records.Delete(targetPath);
            if (tree is not null)
            {
                ledger.Touch(tree);
            }
        }
    }

    /// <exception cref="VolumeException">The volume is not published at that path.</exception>
    public VolumeStats Stats(string volumeId, string volumePath)
    {
        var record = Path.IsPathRooted(volumePath) ? records.Find(volumePath) : null;
        if (record is null || record.VolumeId != volumeId || !mounter.IsMountPoint(volumePath))
        {
            throw new VolumeException(FailureKind.NotFound, $"volume {volumeId} is not published at {volumePath}");
        }

        // Trees never change, so one walk per tree serves every pod that mounts it; an output volume changes as it is written.
        return record.Output ? VolumeStats.Measure(volumePath) : _stats.GetOrAdd(record.TreeKey, _ => VolumeStats.Measure(volumePath));
    }

    /// <summary>
    /// Brings the records in line with the mount table after a restart: a record whose target is not mounted (the
    /// plugin died mid-publish, or the node rebooted) is dropped with its empty target directory. So is a record file
    /// that cannot be read when no mounted target owns it: records are not synced (see <see cref="PublishRecordStore"/>),
    /// and one written just before a power loss may come back empty or zero-filled, with its mount gone. One whose target
    /// is still mounted (a disk fault or a hand edit, since a power loss takes the mounts too) is kept, with the tree the
    /// mount table says is mounted there kept from collection: a publish at that target answers that it is taken, and
    /// unpublish removes the mount and the file.
    /// </summary>
    public (int Kept, int Dropped) Reconcile()
    {
        records.RemoveLeftovers();
        var (all, unreadable) = records.LoadAll();
        var mounted = mounter.MountRoots();
        _unrecorded.Clear();
        if (unreadable.Count > 0)
        {
            var targetByFile = mounted.Keys.Where(Path.IsPathRooted).ToDictionary(records.FileFor, StringComparer.Ordinal);
            foreach (var file in unreadable)
            {
                if (targetByFile.TryGetValue(Path.GetFullPath(file), out var target))
                {
                    var tree = TreeKeyOf(mounted[target]);
                    _unrecorded[target] = tree;
                    LogUnreadableRecordKept(logger, file, target, tree ?? "none");
                }
                else
                {
                    records.DeleteUnreadable(file);
                    LogUnreadableRecord(logger, file);
                }
            }
        }

        var dropped = 0;
        // An output volume's record stays: its directory holds what the pod wrote, for the republish or the unpublish to come.
        foreach (var record in all.Where(r => !r.Output && !mounted.ContainsKey(r.TargetPath)))
        {
            records.Delete(record.TargetPath);
            TryRemoveEmptyDirectory(record.TargetPath);
            dropped++;
        }

        return (all.Count - dropped + _unrecorded.Count, dropped);
    }

    /// <summary>Tree keys that must stay: mounted according to the records, or being mounted right now.</summary>
    public IReadOnlySet<string> TreesInUse()
    {
        // From the records' index, not their files: the collector asks again for every tree it is about to remove.
        var keys = new HashSet<string>(_mounting.Keys, StringComparer.Ordinal);
        foreach (var record in records.All.Where(r => !r.Output))
        {
            keys.Add(record.TreeKey);
        }

        foreach (var tree in _unrecorded.Values)
        {
            if (tree is not null)
            {
                keys.Add(tree);
            }
        }

        return keys;
    }

    /// <summary>The cache tree a bind mount's root names (<c>…/trees/&lt;key&gt;</c>), if it is one.</summary>
    private static string? TreeKeyOf(string mountRoot) =>
        Path.GetFileName(Path.GetDirectoryName(mountRoot.TrimEnd('/'))) == "trees" ? Path.GetFileName(mountRoot.TrimEnd('/')) : null;

    private PublishResult? AlreadyPublished(PublishRequest request)
    {
        var record = records.Find(request.TargetPath);
        var mounted = mounter.IsMountPoint(request.TargetPath);
        if (record is null)
        {
            if (mounted && _unrecorded.ContainsKey(request.TargetPath))
            {
                throw new VolumeException(FailureKind.Conflict,
                    $"{request.TargetPath} is mounted but its publish record {records.FileFor(request.TargetPath)} could not be read when the plugin started; unpublish it first");
            }

            return mounted
                ? throw new VolumeException(FailureKind.Conflict, $"something this plugin did not mount is already mounted at {request.TargetPath}")
                : null;
        }

        if (record.VolumeId != request.VolumeId)
        {
            throw new VolumeException(FailureKind.Conflict, $"{request.TargetPath} already holds volume {record.VolumeId}");
        }

        // A record without its mount is a publish that did not finish: do it again.
        return mounted ? new PublishResult(record.TreeKey, record.Source, record.Digest, Mounted: false, CacheHit: true) : null;
    }

    private async Task<PreparedTree> WaitForTreeAsync(PublishRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        var wait = WaitBudget(deadline);
        try
        {
            // Runs without the caller's token: a pull that outlives its call carries on, and kubelet's retry of the same
            // volume joins it (or, kept a little after it succeeded, collects it without asking the registry again).
            return await _preparations.RunAsync(request.VolumeId, () => PrepareAsync(request), cancellationToken)
                .WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var progress = _progress.TryGetValue(request.VolumeId, out var current) ? current.Describe() : "";
            throw new VolumeException(FailureKind.Pending,
                $"the content of volume {request.VolumeId} ({request.Attributes.Describe()}) is still being prepared" +
                $"{progress}; the next attempt will find it");
        }
    }

    private async Task<PreparedTree> PrepareAsync(PublishRequest request)
    {
        var progress = new PullProgress(request.VolumeId, time);
        _progress[request.VolumeId] = progress;
        try
        {
            // Flows with the pull into every registry request it makes, so their retries are reported to it.
            PullProgress.Current = progress;
            return await preparer.PrepareAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A failure is not kept: the next attempt tries again.
            LogPreparationFailed(logger, request.VolumeId, e.Message);
            throw;
        }
        finally
        {
            _progress.TryRemove(new KeyValuePair<string, PullProgress>(request.VolumeId, progress));
        }
    }

    /// <summary>Answer a little before the caller's deadline, so it hears "pending" rather than a timeout.</summary>
    private TimeSpan WaitBudget(DateTimeOffset? deadline)
    {
        if (deadline is not { } end)
        {
            return waitWithoutDeadline;
        }

        var remaining = end - time.GetUtcNow();
        var margin = TimeSpan.FromTicks(Math.Clamp(remaining.Ticks / 10, MinMargin.Ticks, MaxMargin.Ticks));
        return remaining > margin ? remaining - margin : TimeSpan.Zero;
    }

    private void Mount(PublishRequest request, PreparedTree prepared)
    {
        var target = request.TargetPath;
        _mounting.AddOrUpdate(prepared.Key, 1, (_, n) => n + 1);
        try
        {
            var started = Stopwatch.GetTimestamp();
            Directory.CreateDirectory(target);

            // Recorded before mounting: a crash after the mount must still leave a record to unpublish from. Not synced
            // to disk: a crash keeps it in the page cache, and a power loss that could lose it loses the mount too.
            records.Save(new PublishRecord
            {
                VolumeId = request.VolumeId,
                TargetPath = target,
                TreeKey = prepared.Key,
                Source = prepared.Source,
                Digest = prepared.Digest,
                PodNamespace = request.Pod.Namespace,
                PodName = request.Pod.Name,
                PodUid = request.Pod.Uid,
                PublishedAt = time.GetUtcNow(),
            });
            started = metrics.Phase(PublishPhase.Record, started);
            mounter.BindReadOnly(prepared.Path, target);
            metrics.Phase(PublishPhase.Mount, started);
        }
        catch (IOException e)
        {
            // The one place a half-finished publish is undone.
            records.Delete(target);
            TryRemoveEmptyDirectory(target);
            throw new VolumeException(FailureKind.Internal, $"mount {prepared.Path} at {target}: {e.Message}", e);
        }
        finally
        {
            _mounting.AddOrUpdate(prepared.Key, 0, (_, n) => n - 1);
            _mounting.TryRemove(new KeyValuePair<string, int>(prepared.Key, 0));
        }

        TouchLater(prepared.Key);
    }

    /// <summary>
    /// Writes down that a tree was used, after the publish has answered. While the tree is mounted its record keeps it
    /// from collection, so its last use matters only once it is unmounted, and unpublish writes that at once; this one
    /// only keeps the order of least recent use right for trees whose pods outlive a restart. One writer drains the
    /// pending trees, so a wave of pods mounting one tree costs one write and no thread per pod.
    /// </summary>
    private void TouchLater(string key)
    {
        _touches[key] = true;
        if (Interlocked.CompareExchange(ref _touching, 1, 0) == 0)
        {
            _ = Task.Run(DrainTouches);
        }
    }

    private void DrainTouches()
    {
        do
        {
            foreach (var key in _touches.Keys)
            {
                if (!_touches.TryRemove(key, out _))
                {
                    continue;
                }

                try
                {
                    ledger.Touch(key);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    LogTouchFailed(logger, key, e.Message);
                }
            }

            Volatile.Write(ref _touching, 0);
        }
        while (!_touches.IsEmpty && Interlocked.CompareExchange(ref _touching, 1, 0) == 0);
    }

    private static void TryRemoveEmptyDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                Directory.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for kubelet, which removes the pod's directories itself.
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "publish record {File} cannot be read and no mounted target owns it: removed")]
    private static partial void LogUnreadableRecord(ILogger logger, string file);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "the last use of tree {TreeKey} could not be written: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, string treeKey, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning,
        Message = "publish record {File} cannot be read but its target {TargetPath} is mounted (tree {TreeKey}): kept until the target is unpublished")]
    private static partial void LogUnreadableRecordKept(ILogger logger, string file, string targetPath, string treeKey);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "preparing volume {VolumeId} failed: {Reason}")]
    private static partial void LogPreparationFailed(ILogger logger, string volumeId, string reason);
}
