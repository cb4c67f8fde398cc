using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Credentials;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.State;
using OrasAssemble.CsiNode.Tenancy;
using OrasAssemble.Failures;
using OrasAssemble.IO;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// Publishes and unpublishes output volumes: an empty directory of the plugin's state bind-mounted writable at the
/// target, and at unpublish, once unmounted, moved whole into the outbox for the <see cref="OutputPusher"/>. Unpublish
/// never waits on a registry. Work on one target path is serialised; the publish records are the ones spec volumes use,
/// marked <see cref="PublishRecord.Output"/>.
/// </summary>
internal sealed partial class OutputVolumes(
    OutputStore store, IMounter mounter, PublishRecordStore records, NamespacePolicy policy, string nodeId, TimeProvider time, ILogger<OutputVolumes> logger)
{
    private readonly KeyedLock _targets = new();

    /// <exception cref="VolumeException">A secret that cannot be used, refused by the namespace policy, conflicting with what the target holds, or the mount failed.</exception>
    public async Task<PublishResult> PublishAsync(OutputPublishRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reference = request.Attributes.Reference;
        if (policy.Refusal(request.Pod.Namespace, reference) is { } refusal)
        {
            throw new VolumeException(FailureKind.Denied, $"volume attribute {VolumeContextKeys.OutputReference}: {refusal}");
        }

        try
        {
            // Read now, so a secret that cannot be used is the pod's error at publish, not a push refused later.
            _ = VolumeCredentials.FromSecrets(request.Secrets, reference.Registry);
        }
        catch (CredentialConfigException e)
        {
            throw new VolumeException(FailureKind.InvalidInput, $"nodePublishSecretRef: {e.Message}", e);
        }

        var target = request.TargetPath;
        using var held = await _targets.LockAsync(target, cancellationToken).ConfigureAwait(false);
        var record = records.Find(target);
        var mounted = mounter.MountPoints().Contains(target);
        if (record is null && mounted)
        {
            throw new VolumeException(FailureKind.Conflict, $"something this plugin did not mount is already mounted at {target}");
        }

        if (record is not null && (record.VolumeId != request.VolumeId || !record.Output))
        {
            throw new VolumeException(FailureKind.Conflict, $"{target} already holds volume {record.VolumeId}");
        }

        if (record is not null && mounted)
        {
            return new PublishResult("", record.Source, null, Mounted: false, CacheHit: false);
        }

        // A record without its mount is a publish that did not finish, or a node that restarted under a running pod:
        // the directory it had is mounted again with what the pod wrote.
        var directory = store.VolumeDirectory(request.VolumeId);
        var data = Path.Combine(directory, OutputStore.DataName);
        var created = record is null || !Directory.Exists(data);
        try
        {
            if (created)
            {
                data = store.Create(new OutputEntry
                {
                    VolumeId = request.VolumeId,
                    Reference = reference.ToString(),
                    Template = request.Attributes.Template,
                    ArtifactType = request.Attributes.ArtifactType,
                    Annotations = request.Attributes.Annotations,
                    PodNamespace = request.Pod.Namespace,
                    PodName = request.Pod.Name,
                    PodUid = request.Pod.Uid,
                    NodeId = nodeId,
                    PublishedAt = time.GetUtcNow(),
                }, request.Secrets);
            }

            Directory.CreateDirectory(target);

            // Recorded before mounting: a crash after the mount must still leave a record to unpublish from.
            records.Save(new PublishRecord
            {
                VolumeId = request.VolumeId,
                TargetPath = target,
                TreeKey = "",
                Source = reference.ToString(),
                PodNamespace = request.Pod.Namespace,
                PodName = request.Pod.Name,
                PodUid = request.Pod.Uid,
                PublishedAt = time.GetUtcNow(),
                Output = true,
            });
            mounter.BindWritable(data, target);
        }
        catch (IOException e)
        {
            // The one place a half-finished output publish is undone; a directory the pod may have written to stays.
            records.Delete(target);
            TryRemoveEmptyDirectory(target);
            if (created)
            {
                TempTree.DeleteQuietly(directory);
            }

            throw new VolumeException(FailureKind.Internal, $"mount output volume {request.VolumeId} at {target}: {e.Message}", e);
        }

        return new PublishResult("", reference.ToString(), null, Mounted: true, CacheHit: false);
    }

    /// <summary>
    /// Unmounts an output volume and queues what the pod wrote for pushing; false when <paramref name="targetPath"/> holds
    /// no output volume (a volume read from an artifact, or nothing), which is then the <see cref="VolumePublisher"/>'s.
    /// </summary>
    /// <exception cref="VolumeException">The target holds another volume, or it cannot be unmounted.</exception>
    public async Task<bool> TryUnpublishAsync(string volumeId, string targetPath, CancellationToken cancellationToken)
    {
        using var held = await _targets.LockAsync(targetPath, cancellationToken).ConfigureAwait(false);
        var record = records.Find(targetPath);
        if (record is not { Output: true })
        {
            return false;
        }

        if (record.VolumeId != volumeId)
        {
            throw new VolumeException(FailureKind.NotFound, $"{targetPath} holds volume {record.VolumeId}, not {volumeId}");
        }

        string? entry;
        try
        {
            // Stacked mounts (from a crash between two attempts) all have to go before the directory can.
            for (var i = 0; i < 8 && mounter.MountPoints().Contains(targetPath); i++)
            {
                mounter.Unmount(targetPath);
            }

            if (mounter.MountPoints().Contains(targetPath))
            {
                throw new IOException("it is still mounted");
            }

            entry = store.Enqueue(volumeId, time.GetUtcNow());
            if (Directory.Exists(targetPath))
            {
                Directory.Delete(targetPath);
            }
        }
        catch (IOException e)
        {
            throw new VolumeException(FailureKind.Internal, $"unpublish output volume {volumeId} at {targetPath}: {e.Message}", e);
        }

        records.Delete(targetPath);
        if (entry is not null)
        {
            LogQueued(logger, volumeId, record.Source, entry);
        }

        return true;
    }

    /// <summary>
    /// After a restart: output records stay whether mounted or not (their directories hold what pods wrote, for a
    /// republish or the unpublish to come); a volume directory no record names is a publish that died before its record
    /// was written, removed when empty and otherwise queued, so nothing a pod wrote is lost.
    /// </summary>
    public void Reconcile()
    {
        store.RemoveLeftovers();
        var known = records.LoadAll().Records.Where(r => r.Output).Select(r => store.VolumeDirectory(r.VolumeId)).ToHashSet(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(store.Volumes).Where(d => !known.Contains(d)).ToList())
        {
            var data = Path.Combine(directory, OutputStore.DataName);
            if (!Directory.Exists(data) || !Directory.EnumerateFileSystemEntries(data).Any())
            {
                TempTree.DeleteQuietly(directory);
                continue;
            }

            try
            {
                var entry = AtomicJsonFile.Read<OutputEntry>(Path.Combine(directory, "output.json"));
                if (entry is not null && store.Enqueue(entry.VolumeId, time.GetUtcNow()) is { } id)
                {
                    LogQueued(logger, entry.VolumeId, entry.Reference, id);
                }
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
            {
                LogOrphan(logger, directory, e.Message);
            }
        }
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

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "output volume {VolumeId} for {Reference} queued for pushing as outbox entry {Entry}")]
    private static partial void LogQueued(ILogger logger, string volumeId, string reference, string entry);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "output directory {Directory} has no publish record and cannot be queued ({Reason}); it is kept")]
    private static partial void LogOrphan(ILogger logger, string directory, string reason);
}
