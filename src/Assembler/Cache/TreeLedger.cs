using System.Text.Json;
using OrasAssemble.IO;

namespace OrasAssemble.Cache;

/// <summary>
/// What the cache knows about each tree beyond its files: the sources it was built from (so a caller can check who
/// may read them before handing out a tree found by its pin) and when it was last used (so collection removes idle
/// trees first).
/// </summary>
public sealed class TreeLedger
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly string _tempDirectory;

    internal TreeLedger(string directory, string tempDirectory)
    {
        Directory = directory;
        _tempDirectory = tempDirectory;
    }

    public string Directory { get; }

    /// <summary>The tree's sources, or null when unknown (never recorded, or lost).</summary>
    public IReadOnlyList<TreeSource>? Sources(string key)
    {
        try
        {
            using var stream = File.OpenRead(SourcesFile(key));
            return JsonSerializer.Deserialize<List<TreeSource>>(stream, Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            // Unknown sources are re-learned by resolving them again.
            return null;
        }
    }

    public void RecordSources(string key, IReadOnlyList<TreeSource> sources)
    {
        if (!File.Exists(SourcesFile(key)))
        {
            AtomicFile.Write(SourcesFile(key), JsonSerializer.SerializeToUtf8Bytes(sources, Json), tempDirectory: _tempDirectory);
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

    /// <summary>When the tree was last used, or null if no use was recorded.</summary>
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

    private string SourcesFile(string key) => Path.Combine(Directory, key + ".sources.json");

    private string UsedFile(string key) => Path.Combine(Directory, key + ".used");
}
