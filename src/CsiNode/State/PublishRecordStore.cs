using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OrasAssemble.IO;

namespace OrasAssemble.CsiNode.State;

/// <summary>One file per target path, named by the path's hash; each written atomically.</summary>
internal sealed class PublishRecordStore
{
    private readonly string _directory;

    public PublishRecordStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public PublishRecord? Find(string targetPath) => AtomicJsonFile.Read<PublishRecord>(FileFor(targetPath));

    public void Save(PublishRecord record) => AtomicJsonFile.Write(FileFor(record.TargetPath), record);

    public void Delete(string targetPath) => File.Delete(FileFor(targetPath));

    /// <summary>Every record; files that cannot be read (a disk fault, a hand edit) are returned apart so they can be reported.</summary>
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

        return (records, unreadable);
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

    private string FileFor(string targetPath) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(targetPath))) + ".json");
}
