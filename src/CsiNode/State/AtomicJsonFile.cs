using System.Text.Json;
using OrasAssemble.IO;

namespace OrasAssemble.CsiNode.State;

/// <summary>JSON files replaced whole with <see cref="AtomicFile"/>: a crash leaves the old or the new.</summary>
internal static class AtomicJsonFile
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <param name="sync">False for state a reboot makes moot: see <see cref="AtomicFile.Write"/>.</param>
    public static void Write<T>(string path, T value, bool sync = true) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(value, Options), sync: sync);

    /// <summary>The value, or default when the file is missing; a file that does not parse is an error.</summary>
    public static T? Read<T>(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream, Options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }
    }
}
