using System.Net;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// Request content over a stream from a fixed position, so a retried request can send the same bytes again
/// when the stream can seek, without holding the body in memory.
/// </summary>
internal sealed class ReplayableContent : HttpContent
{
    private readonly Stream _stream;
    private readonly long _start;
    private readonly long _length;
    private bool _sent;

    /// <param name="start">Where the body starts in a seekable stream; every attempt sends from there.</param>
    public ReplayableContent(Stream stream, long start, long length)
    {
        _stream = stream;
        _start = start;
        _length = length;
        Headers.ContentLength = length;
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
        var buffer = new byte[81920];
        var remaining = _length;
        while (remaining > 0)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"the upload stream ended {remaining} bytes before its stated length");
            }

            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            remaining -= n;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
