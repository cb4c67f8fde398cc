using System.Runtime.Versioning;
using OrasAssemble.Oci;
using OrasAssemble.Packing;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// An output directory as the layers the <c>oras</c> CLI pushes for the files and folders it is given: each top-level
/// file a layer of its bytes titled with its name, each top-level folder a tar+gzip titled with its name and marked for
/// unpacking. Links inside folders are stored as links, never followed, wherever they point; FIFOs, sockets and devices
/// are left out and listed, and so is a link at the top level, which no ORAS layer can hold (a file layer is bytes).
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static class OutputArtifact
{
    /// <summary>What an output holds, counted without following any link: every entry, and the bytes of its regular files.</summary>
    public readonly record struct Size(long Entries, long Bytes);

    /// <summary>The layers, in the order of their names, and what was left out (paths relative to the output).</summary>
    public sealed record Layers(IReadOnlyList<PreparedLayer> Prepared, IReadOnlyList<string> Skipped);

    /// <summary>Counts the output, stopping once it is past either bound (the result is then only "too large").</summary>
    public static Size Measure(string directory, long maxEntries, long maxBytes)
    {
        long entries = 0;
        long bytes = 0;
        var pending = new Stack<string>();
        pending.Push(directory);
        while (pending.Count > 0)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                entries++;
                switch (FileKindProbe.Probe(path))
                {
                    case FileKind.Directory:
                        pending.Push(path);
                        break;
                    case FileKind.RegularFile:
                        bytes += new FileInfo(path).Length;
                        break;
                }

                if (entries > maxEntries || bytes > maxBytes)
                {
                    return new Size(entries, bytes);
                }
            }
        }

        return new Size(entries, bytes);
    }

    /// <exception cref="PackingException">A folder holds something that cannot be packed.</exception>
    public static async Task<Layers> PrepareAsync(string directory, string tempDirectory, CancellationToken cancellationToken)
    {
        var preparer = new LayerPreparer(tempDirectory);
        var layers = new List<PreparedLayer>();
        var skipped = new List<string>();
        foreach (var name in Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, name);
            switch (FileKindProbe.Probe(path))
            {
                case FileKind.RegularFile:
                    layers.Add(await LayerPreparer.PrepareFileAsync(path, name, MediaTypes.ImageLayer, cancellationToken).ConfigureAwait(false));
                    break;
                case FileKind.Directory:
                    var folder = await preparer.PrepareDirectoryAsync(path, name, MediaTypes.ImageLayerGzip, FolderPackOptions.KeepAsLeft, cancellationToken)
                        .ConfigureAwait(false);
                    layers.Add(folder);
                    skipped.AddRange(folder.Skipped);
                    break;
                default:
                    skipped.Add(name);
                    break;
            }
        }

        return new Layers(layers, skipped);
    }
}
