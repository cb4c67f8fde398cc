using System.IO.Compression;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using OrasAssemble.Oci;

namespace OrasAssemble.Packing;

/// <summary>
/// Describes files and folders as ORAS does: a file is a layer of its own bytes, titled with its name; a folder is a
/// reproducible tar+gzip written to a temporary file (hashed on the way, so it is read once) and marked for unpacking.
/// Nothing is held in memory beyond a copy buffer.
/// </summary>
/// <param name="tempDirectory">Where folder archives are written; the caller removes it when the layers are pushed.</param>
[UnsupportedOSPlatform("windows")]
public sealed class LayerPreparer(string tempDirectory)
{
    /// <summary>A file as a layer: <paramref name="path"/> is read once to hash it and pushed later as it is.</summary>
    public static async Task<PreparedLayer> PrepareFileAsync(string path, string title, string mediaType, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
            var descriptor = new Descriptor
            {
                MediaType = mediaType,
                Digest = Digest.Format("sha256", hash),
                Size = file.Length,
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [Annotations.Title] = title },
            };
            return new PreparedLayer(descriptor, path, title);
        }
    }

    /// <summary>A folder as a tar+gzip layer whose entries are all under <paramref name="title"/>.</summary>
    /// <exception cref="PackingException">The folder holds something <paramref name="options"/> does not allow.</exception>
    public async Task<PreparedLayer> PrepareDirectoryAsync(
        string path, string title, string mediaType, FolderPackOptions options, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(tempDirectory, Guid.NewGuid().ToString("N") + ".tar.gz");
        string tarDigest;
        string gzipDigest;
        long gzipSize;
        IReadOnlyList<string> skipped;
        var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            var compressed = new HashingStream(file, leaveOpen: true);
            await using (compressed.ConfigureAwait(false))
            {
                var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true);
                await using (gzip.ConfigureAwait(false))
                {
                    var tar = new HashingStream(gzip, leaveOpen: true);
                    await using (tar.ConfigureAwait(false))
                    {
                        skipped = await DirectoryTarWriter.WriteAsync(path, title, tar, options, cancellationToken).ConfigureAwait(false);
                        tarDigest = tar.Digest();
                    }
                }

                // Disposing the gzip stream wrote its trailer, so the compressed hash is complete only now.
                gzipDigest = compressed.Digest();
                gzipSize = compressed.BytesWritten;
            }
        }

        var descriptor = new Descriptor
        {
            MediaType = mediaType,
            Digest = gzipDigest,
            Size = gzipSize,
            Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [Annotations.Title] = title,
                [Annotations.Unpack] = "true",
                [Annotations.UnpackDigest] = tarDigest,
            },
        };
        return new PreparedLayer(descriptor, archive, title + "/") { Skipped = skipped };
    }
}
