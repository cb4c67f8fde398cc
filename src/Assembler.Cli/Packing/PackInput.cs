using OrasAssemble.Oci;
using OrasAssemble.Packing;
using OrasAssemble.Text;

namespace OrasAssemble.Cli.Packing;

/// <summary>One <c>&lt;file|dir&gt;[:&lt;mediaType&gt;]</c> argument of <c>pack</c>.</summary>
/// <param name="Path">The full path of the file or folder.</param>
/// <param name="Title">The layer's <c>org.opencontainers.image.title</c>: the file or folder name.</param>
/// <param name="MediaType">The layer media type: as given, else ORAS's default for a file or a folder.</param>
internal sealed record PackInput(string Path, string Title, string MediaType, bool IsDirectory)
{
    /// <exception cref="UsageException">The path does not exist, or the media type is malformed.</exception>
    public static PackInput Parse(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        var path = argument;
        string? mediaType = null;

        // A path that exists is taken whole, so file names holding a colon still work without a media type.
        var colon = argument.LastIndexOf(':');
        if (!Exists(argument) && colon >= 0)
        {
            path = argument[..colon];
            mediaType = argument[(colon + 1)..];
            if (!MediaTypes.IsWellFormed(mediaType))
            {
                throw new UsageException($"{QuotedValue.Of(mediaType)} in {QuotedValue.Of(argument)} is not a media type (expected type/subtype, e.g. text/plain)");
            }
        }

        if (path.Length == 0)
        {
            throw new UsageException($"{QuotedValue.Of(argument)} names no file before the media type");
        }

        if (!Exists(path))
        {
            throw new UsageException($"{path}: no such file or directory");
        }

        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        var isDirectory = Directory.Exists(full);
        if (!isDirectory && FileKindProbe.Probe(new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full) == FileKind.Special)
        {
            throw new UsageException($"{path}: only regular files and folders can be packed (this is a FIFO, socket or device)");
        }

        var title = System.IO.Path.GetFileName(full);
        if (title.Length == 0)
        {
            throw new UsageException($"{path}: the file system root cannot be packed; name a folder inside it");
        }

        return new PackInput(full, title, mediaType ?? (isDirectory ? MediaTypes.ImageLayerGzip : MediaTypes.OrasDefaultFile), isDirectory);
    }

    private static bool Exists(string path) => path.Length > 0 && (File.Exists(path) || Directory.Exists(path));
}
