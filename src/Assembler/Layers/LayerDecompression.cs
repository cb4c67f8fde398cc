using System.IO.Compression;
using OrasAssemble.Oci;
using OrasAssemble.Text;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace OrasAssemble.Layers;

/// <summary>
/// Turns a layer blob into its tar stream. The bytes decide, not the media type: Docker and mislabelled
/// layers exist, and a tar+gzip label on a plain tar (or the reverse) is common enough. gzip and zstd are
/// decompressed (zstd with the ZstdSharp port, its window bounded so a frame cannot ask for more memory than
/// a normal layer needs); bzip2 and xz are recognised only to be refused clearly. The bounds on what the tar
/// may expand to are the caller's, on the stream this returns, whatever the compression.
/// </summary>
internal static class LayerDecompression
{
    private const int SniffLength = 10;
    private const string Advice = "use tar, tar+gzip or tar+zstd layers";

    // 2^27 bytes (128 MiB), zstd's own default limit for decoders; encoders stay below it unless told to go far past.
    private const int MaxZstdWindowLog = 27;

    public static async Task<Stream> OpenAsync(Descriptor layer, Stream content, CancellationToken cancellationToken)
    {
        var head = new byte[SniffLength];
        var n = await content.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var whole = new PrefixedStream(head.AsMemory(0, n), content);
        var sniffed = head.AsSpan(0, n);

        if (IsGzip(sniffed))
        {
            return new GZipStream(whole, CompressionMode.Decompress);
        }

        if (IsZstd(sniffed))
        {
            var zstd = new DecompressionStream(whole, leaveOpen: false);
            zstd.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, MaxZstdWindowLog);
            return zstd;
        }

        var other = IsBzip2(sniffed) ? "bzip2" : IsXz(sniffed) ? "xz" : null;
        if (other is not null)
        {
            throw new UnsupportedLayerException(
                layer.Digest, null, $"the layer is compressed with {other} (its media type says {QuotedValue.Of(layer.MediaType)}), which is not supported; {Advice}");
        }

        return whole;
    }

    // Magic numbers: RFC 1952 (with deflate, the only method in use), RFC 8878, bzip2's "BZh" + level + block
    // magic, and the xz stream header. Long enough that a tar whose first name starts alike is not mistaken.
    private static bool IsGzip(ReadOnlySpan<byte> b) => b.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b, 0x08]);

    private static bool IsZstd(ReadOnlySpan<byte> b) => b.StartsWith((ReadOnlySpan<byte>)[0x28, 0xb5, 0x2f, 0xfd]);

    private static bool IsBzip2(ReadOnlySpan<byte> b) =>
        b.Length >= 10 && b.StartsWith("BZh"u8) && b[3] is >= (byte)'1' and <= (byte)'9'
        && b[4..10].SequenceEqual((ReadOnlySpan<byte>)[0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);

    private static bool IsXz(ReadOnlySpan<byte> b) => b.StartsWith((ReadOnlySpan<byte>)[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
}
