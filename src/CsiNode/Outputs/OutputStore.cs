using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrasAssemble.CsiNode.State;
using OrasAssemble.IO;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// Output volumes on disk, under the plugin's state (never the cache, whose collection must not touch them):
/// <c>volumes/&lt;id&gt;/</c> while a pod has the volume, <c>outbox/&lt;entry&gt;/</c> from its unpublish until the registry
/// has confirmed the push, and <c>pushed/</c> for entries being removed. Each holds <c>data/</c> (what the pod wrote),
/// <c>output.json</c> (an <see cref="OutputEntry"/>) and, when the pod gave secrets, <c>credentials.json</c>, readable by
/// root only. Moving a volume into the outbox and an entry out of it are renames on one file system, so a crash leaves
/// each entry whole in one place.
/// </summary>
internal sealed class OutputStore
{
    public const string DataName = "data";
    private const string EntryName = "output.json";
    private const string CredentialsName = "credentials.json";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Like an emptyDir: any user of the pod may write to it.</summary>
    private const UnixFileMode Everyone = (UnixFileMode)0x1FF;

    /// <summary>The secret keys a push can use; nothing else of the pod's secret is kept.</summary>
    private static readonly string[] CredentialKeys =
        [KubernetesSecretCredentials.DockerConfigJsonKey, KubernetesSecretCredentials.DockerCfgKey, KubernetesSecretCredentials.UsernameKey, KubernetesSecretCredentials.PasswordKey];

    private readonly SemaphoreSlim _queued = new(0, 1);

    public OutputStore(string directory)
    {
        Directory = directory;
        Volumes = Path.Combine(directory, "volumes");
        Outbox = Path.Combine(directory, "outbox");
        Pushed = Path.Combine(directory, "pushed");
        Temp = Path.Combine(directory, "tmp");
        foreach (var path in new[] { directory, Volumes, Outbox, Pushed, Temp })
        {
            System.IO.Directory.CreateDirectory(path, Private);
        }
    }

    public string Directory { get; }

    public string Volumes { get; }

    public string Outbox { get; }

    /// <summary>Where folder archives are written while an entry is pushed.</summary>
    public string Temp { get; }

    private string Pushed { get; }

    public string VolumeDirectory(string volumeId) =>
        Path.Combine(Volumes, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeId)))[..32]);

    public string EntryDirectory(string entryId) => Path.Combine(Outbox, entryId);

    /// <summary>Makes an empty, writable directory for a volume with its description and the credentials to push with.</summary>
    public string Create(OutputEntry entry, IReadOnlyDictionary<string, string> secrets)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var directory = VolumeDirectory(entry.VolumeId);
        TempTree.DeleteQuietly(directory);
        System.IO.Directory.CreateDirectory(directory, Private);
        var kept = secrets.Where(s => CredentialKeys.Contains(s.Key, StringComparer.Ordinal)).ToDictionary(StringComparer.Ordinal);
        if (kept.Count > 0)
        {
            AtomicFile.Write(Path.Combine(directory, CredentialsName), JsonSerializer.SerializeToUtf8Bytes(kept, AtomicJsonFile.Options), PrivateFile);
        }

        AtomicJsonFile.Write(Path.Combine(directory, EntryName), entry);
        var data = Path.Combine(directory, DataName);
        System.IO.Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, Everyone);
        FileSystemSync.FlushDirectory(directory);
        FileSystemSync.FlushDirectory(Volumes);
        return data;
    }

    /// <summary>
    /// Moves a volume's directory into the outbox, stamped with its unpublish time, once what the pod wrote is on disk;
    /// returns the entry's id, or null when the volume has no directory (it was moved already).
    /// </summary>
    public string? Enqueue(string volumeId, DateTimeOffset unpublishedAt)
    {
        var directory = VolumeDirectory(volumeId);
        if (!System.IO.Directory.Exists(directory))
        {
            return null;
        }

        var path = Path.Combine(directory, EntryName);
        var entry = AtomicJsonFile.Read<OutputEntry>(path) ?? throw new IOException($"{path} is missing");
        AtomicJsonFile.Write(path, entry with { UnpublishedAt = unpublishedAt });

        // The pod's writes may still be in the page cache: they are made durable before the entry counts as queued.
        FileSystemSync.SyncFileSystemOf(directory);
        var id = $"{unpublishedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Path.GetFileName(directory)[..16]}";
        System.IO.Directory.Move(directory, EntryDirectory(id));
        FileSystemSync.FlushDirectory(Outbox);
        FileSystemSync.FlushDirectory(Volumes);
        Signal();
        return id;
    }

    /// <summary>The entries waiting in the outbox, oldest first.</summary>
    public IReadOnlyList<string> Pending() =>
        [.. System.IO.Directory.EnumerateDirectories(Outbox).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    /// <exception cref="IOException">The entry's description is missing.</exception>
    /// <exception cref="JsonException">The entry's description does not parse.</exception>
    public OutputEntry ReadEntry(string entryId)
    {
        var path = Path.Combine(EntryDirectory(entryId), EntryName);
        return AtomicJsonFile.Read<OutputEntry>(path) ?? throw new IOException($"{path} is missing");
    }

    /// <summary>The secrets the pod gave at publish; empty when it gave none.</summary>
    public IReadOnlyDictionary<string, string> ReadSecrets(string entryId) =>
        AtomicJsonFile.Read<Dictionary<string, string>>(Path.Combine(EntryDirectory(entryId), CredentialsName))
        ?? new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Removes a pushed entry: out of the outbox in one rename, then deleted, so it is never pushed twice nor half.</summary>
    public void Remove(string entryId)
    {
        var gone = Path.Combine(Pushed, entryId);
        System.IO.Directory.Move(EntryDirectory(entryId), gone);
        FileSystemSync.FlushDirectory(Outbox);
        TempTree.DeleteQuietly(gone);
    }

    /// <summary>Deletes what a dead process left half-removed or half-written; only before this process writes any.</summary>
    public void RemoveLeftovers()
    {
        foreach (var path in System.IO.Directory.EnumerateDirectories(Pushed).Concat(System.IO.Directory.EnumerateFileSystemEntries(Temp)))
        {
            TempTree.DeleteQuietly(path);
        }
    }

    /// <summary>Wakes the pusher: an entry arrived, or a push ended.</summary>
    public void Signal()
    {
        try
        {
            _queued.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Until <see cref="Signal"/> or <paramref name="timeout"/>.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _queued.WaitAsync(timeout, cancellationToken);
}
