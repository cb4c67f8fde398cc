using System.Net;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Registry.Remote.Blobs;

/// <summary>
/// Request content over a stream from a fixed position, so a retried request can send the same bytes again
/// when the stream can seek, without holding the body in memory. Every attempt hashes what it sends, so a
/// source that is not what its descriptor says fails the request before the registry can commit it.
/// </summary>
internal sealed class ReplayableContent : HttpContent
{
    private readonly Stream _stream;
    private readonly long _start;
    private readonly Descriptor _expected;
    private bool _sent;

    /// <param name="start">Where the body starts in a seekable stream; every attempt sends from there.</param>
    public ReplayableContent(Stream stream, long start, Descriptor expected)
    {
        _stream = stream;
        _start = start;
        _expected = expected;
        Headers.ContentLength = expected.Size;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
    }

    /// <summary>Whether another request may send these bytes again after this one sent (some of) them.</summary>
    public bool CanReplay => !_sent || _stream.CanSeek;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_stream.CanSeek)
        {
            _stream.Position = _start;
        }

        _sent = true;
        await using var verifying = new VerifyingStream(_stream, _expected, leaveOpen: true);
        var buffer = new byte[81920];
        long remaining = _expected.Size;
        while (remaining > 0)
        {
            var n = await verifying.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new ContentVerificationException($"the upload of {_expected.Digest} ended {remaining} bytes before its stated size");
            }

            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            remaining -= n;
        }

        if (_expected.Size == 0)
        {
            // Nothing was read, so let end-of-stream trigger the digest check of the empty content.
            _ = await verifying.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = _expected.Size;
        return true;
    }
}
