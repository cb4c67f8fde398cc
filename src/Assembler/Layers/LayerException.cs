using System.Text;

namespace OrasAssemble.Layers;

/// <summary>
/// A layer could not be put on disk. The message names the layer's digest, the tar entry when there is one,
/// and the reason. The target directory is then in an undefined state and must be discarded.
/// </summary>
public abstract class LayerException : Exception
{
    // Names in messages are shortened and made printable; the properties keep them whole.
    private const int MaxNameInMessage = 256;

    protected LayerException(string layerDigest, string? entryName, string reason, Exception? innerException)
        : base(Format(layerDigest, entryName, reason), innerException)
    {
        LayerDigest = layerDigest;
        EntryName = entryName;
        Reason = reason;
    }

    public string LayerDigest { get; }

    /// <summary>The entry's name exactly as the tar header gave it; null when the problem is the layer as a whole.</summary>
    public string? EntryName { get; }

    public string Reason { get; }

    private static string Format(string layerDigest, string? entryName, string reason) =>
        entryName is null
            ? $"layer {layerDigest}: {reason}"
            : $"layer {layerDigest}, entry \"{Printable(entryName)}\": {reason}";

    /// <summary>A name fit for a one-line message: control characters escaped, long names cut.</summary>
    internal static string Printable(string name)
    {
        var builder = new StringBuilder(Math.Min(name.Length, MaxNameInMessage + 8));
        foreach (var c in name)
        {
            if (builder.Length >= MaxNameInMessage)
            {
                builder.Append("...");
                break;
            }

            if (char.IsControl(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
