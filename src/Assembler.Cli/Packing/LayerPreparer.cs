using System.IO.Compression;
using System.Security.Cryptography;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Packing;

/// <summary>
/// Describes pack inputs as ORAS does: a file is a layer of its own bytes, titled with its name; a folder is a
/// reproducible tar+gzip written to a temporary file (hashed on the way, so it is read once) and marked for unpacking.
/// Nothing is held in memory beyond a copy buffer.
/// </summary>
internal sealed class LayerPreparer(string tempDirectory)
{
    public async Task<PreparedLayer> PrepareAsync(PackInput input, CancellationToken cancellationToken) => input.IsDirectory
        ? await PrepareDirectoryAsync(input, cancellationToken).ConfigureAwait(false)
        : await PrepareFileAsync(input, cancellationToken).ConfigureAwait(false);

    private static async Task<PreparedLayer> PrepareFileAsync(PackInput input, CancellationToken cancellationToken)
    {
        var file = new FileStream(input.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            var hash = await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
            var descriptor = new Descriptor
            {
                MediaType = input.MediaType,
                Digest = Digest.Format("sha256", hash),
                Size = file.Length,
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [Annotations.Title] = input.Title },
            };
            return new PreparedLayer(descriptor, input.Path, input.Title);
        }
    }

    private async Task<PreparedLayer> PrepareDirectoryAsync(PackInput input, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(tempDirectory, Guid.NewGuid().ToString("N") + ".tar.gz");
        string tarDigest;
        string gzipDigest;
        long gzipSize;
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
                        await DirectoryTarWriter.WriteAsync(input.Path, input.Title, tar, cancellationToken).ConfigureAwait(false);
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
            MediaType = input.MediaType,
            Digest = gzipDigest,
            Size = gzipSize,
            Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                [Annotations.Title] = input.Title,
                [Annotations.Unpack] = "true",
                [Annotations.UnpackDigest] = tarDigest,
            },
        };
        return new PreparedLayer(descriptor, archive, input.Title + "/");
    }
}
