using System.Security.Cryptography;

namespace OrasAssemble.Layers;

/// <summary>
/// The decompressed bytes of one layer as they stream: counted, optionally hashed, and cut off as soon as a
/// bound is passed, so a few kilobytes of gzip that would expand to gigabytes cost only what the bound allows.
/// </summary>
internal sealed class BoundedReadStream : Stream
{
    private readonly Stream _inner;
    private readonly string _layerDigest;
    private readonly long _maxTotal;
    private readonly IncrementalHash? _hash;
    private long _windowStart = -1;
    private long _windowLimit;

    public BoundedReadStream(Stream inner, string layerDigest, long maxTotal, IncrementalHash? hash = null)
    {
        _inner = inner;
        _layerDigest = layerDigest;
        _maxTotal = maxTotal;
        _hash = hash;
    }

    public long BytesRead { get; private set; }

    /// <summary>The entry being read, for messages; the last one read while headers stream.</summary>
    public string? CurrentEntry { get; set; }

    /// <summary>Until <see cref="EndHeaderWindow"/>, at most <paramref name="maxBytes"/> more may be read.</summary>
    public void BeginHeaderWindow(long maxBytes)
    {
        _windowStart = BytesRead;
        _windowLimit = maxBytes;
    }

    public void EndHeaderWindow() => _windowStart = -1;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _inner.Read(buffer[..Allowed(buffer.Length)]);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            throw Corrupt(e);
        }

        return Account(buffer[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        try
        {
            n = await _inner.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdSharp.ZstdException)
        {
            throw Corrupt(e);
        }

        return Account(buffer.Span[..n]);
    }

    // Ask for at most one byte past a bound: enough to notice it is passed, never a whole buffer more.
    private int Allowed(int requested)
    {
        var remaining = _maxTotal - BytesRead;
        if (_windowStart >= 0)
        {
            remaining = Math.Min(remaining, _windowLimit - (BytesRead - _windowStart));
        }

        return remaining >= requested ? requested : (int)Math.Max(remaining + 1, 1);
    }

    private int Account(ReadOnlySpan<byte> chunk)
    {
        BytesRead += chunk.Length;
        if (BytesRead > _maxTotal)
        {
            throw new UnsafeLayerException(_layerDigest, CurrentEntry, $"the layer expands to more than {_maxTotal} bytes");
        }

        if (_windowStart >= 0 && BytesRead - _windowStart > _windowLimit)
        {
            throw new UnsafeLayerException(
                _layerDigest, CurrentEntry, $"the tar headers that follow take more than {_windowLimit} bytes");
        }

        _hash?.AppendData(chunk);
        return chunk.Length;
    }

    // Only the decompressor below raises this; the tar reader above reports its own format errors.
    private InvalidLayerException Corrupt(Exception e) =>
        new(_layerDigest, null, $"the compressed data is corrupt: {e.Message}", e);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
