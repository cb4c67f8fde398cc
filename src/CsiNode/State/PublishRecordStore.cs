using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrasAssemble.IO;

namespace OrasAssemble.CsiNode.State;

/// <summary>
/// One file per target path, named by the path's hash, each replaced atomically, and an index of them in memory that
/// every lookup reads: this process is the only writer of the directory (a second plugin cannot serve the same
/// socket), so the index is loaded once and then changes only with the files it mirrors.
/// </summary>
/// <remarks>
/// A record is written without flushing it to disk. What it protects is a mount: unpublish after a plugin restart,
/// and the mounted tree from collection. A plugin that dies keeps its writes (they are in the page cache) and its
/// mounts; a power loss or kernel crash loses the mounts as well, and kubelet publishes every volume again. A record
/// written just before such a loss may come back missing, empty or zero-filled; a file that does not parse is returned
/// as unreadable by <see cref="LoadAll"/>, never as a record, and the publisher drops it when its target is not mounted.
/// </remarks>
internal sealed class PublishRecordStore
{
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, PublishRecord> _byTarget = new(StringComparer.Ordinal);

    public PublishRecordStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        LoadAll();
    }

    public PublishRecord? Find(string targetPath) => _byTarget.GetValueOrDefault(targetPath);

    /// <summary>Every record, as of now.</summary>
    public IReadOnlyCollection<PublishRecord> All => [.. _byTarget.Values];

    /// <summary>Writes the record's file (atomic, not synced: see the remarks) and then the index.</summary>
    public void Save(PublishRecord record)
    {
        AtomicJsonFile.Write(FileFor(record.TargetPath), record, sync: false);
        _byTarget[record.TargetPath] = record;
    }

    /// <summary>Removes the target's record file, readable or not, and its index entry.</summary>
    public void Delete(string targetPath)
    {
        File.Delete(FileFor(targetPath));
        _byTarget.TryRemove(targetPath, out _);
    }

    /// <summary>
    /// Reads every record file again and makes the index what they say. Files that cannot be read (cut short by a
    /// power loss, a disk fault, a hand edit) are returned apart so they can be reported, and are not in the index.
    /// </summary>
    public (IReadOnlyList<PublishRecord> Records, IReadOnlyList<string> Unreadable) LoadAll()
    {
        var records = new List<PublishRecord>();
        var unreadable = new List<string>();
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json"))
        {
            try
            {
                if (AtomicJsonFile.Read<PublishRecord>(file) is { } record && FileFor(record.TargetPath) == file)
                {
                    records.Add(record);
                }
                else
                {
                    unreadable.Add(file);
                }
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                unreadable.Add(file);
            }
        }

        _byTarget.Clear();
        foreach (var record in records)
        {
            _byTarget[record.TargetPath] = record;
        }

        return (records, unreadable);
    }

    /// <summary>Removes one file <see cref="LoadAll"/> reported unreadable.</summary>
    public void DeleteUnreadable(string file)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(file)) != Path.GetFullPath(_directory))
        {
            throw new ArgumentException($"{file} is not a record file of {_directory}", nameof(file));
        }

        File.Delete(file);
    }

    /// <summary>Removes half-written files a dead process left; only safe before this process writes any.</summary>
    public void RemoveLeftovers()
    {
        // "*.tmp" is what writers before the shared atomic writer left.
        foreach (var temp in Directory.EnumerateFiles(_directory, "*" + AtomicFile.TempSuffix).Concat(Directory.EnumerateFiles(_directory, "*.tmp")))
        {
            File.Delete(temp);
        }
    }

    /// <summary>The file that holds the record of <paramref name="targetPath"/>.</summary>
    public string FileFor(string targetPath) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(targetPath))) + ".json");
}
