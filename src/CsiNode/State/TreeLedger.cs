using System.Text.Json;

namespace OrasAssemble.CsiNode.State;

/// <summary>
/// What the plugin knows about each cached tree beyond the cache itself: the sources it was built from (to check a
/// pod's access before a cache hit) and when it was last used (to collect idle trees).
/// </summary>
internal sealed class TreeLedger
{
    private readonly string _directory;

    public TreeLedger(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public IReadOnlyList<TreeSource>? Sources(string key)
    {
        try
        {
            return AtomicJsonFile.Read<List<TreeSource>>(SourcesFile(key));
        }
        catch (JsonException)
        {
            // Unknown sources are re-learned by resolving them again.
            return null;
        }
    }

    public void RecordSources(string key, IReadOnlyList<TreeSource> sources)
    {
        if (!File.Exists(SourcesFile(key)))
        {
            AtomicJsonFile.Write(SourcesFile(key), sources);
        }
    }

    public void Touch(string key)
    {
        var file = UsedFile(key);
        using (File.Open(file, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
        {
        }

        File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
    }

    /// <summary>When the tree was last published or unpublished, or null if the plugin never used it.</summary>
    public DateTimeOffset? LastUsed(string key)
    {
        var info = new FileInfo(UsedFile(key));
        return info.Exists ? info.LastWriteTimeUtc : null;
    }

    public void Forget(string key)
    {
        File.Delete(SourcesFile(key));
        File.Delete(UsedFile(key));
    }

    private string SourcesFile(string key) => Path.Combine(_directory, key + ".sources.json");

    private string UsedFile(string key) => Path.Combine(_directory, key + ".used");
}
