namespace OrasAssemble.Layers;

/// <summary>
/// A tar stream as the tar reader sees it, for archives whose writer stopped right after the last entry's data:
/// without padding that data to a 512-byte block and without the two zero blocks that end an archive (umoci insert
/// writes such layers, and Go-based runtimes read them). When the bytes end after the current entry's data is
/// complete, it supplies the missing padding and end blocks; when they end inside the data or inside a header, it
/// supplies nothing, so the reader reports a truncated archive as before. The supplied zeros are never counted,
/// hashed or bounded: they are read from nowhere.
/// </summary>
internal sealed class TarEndStream(Stream inner) : Stream
{
    private const int Block = 512;

    private long _dataEnd;
    private long _synthetic = -1;

    // Whether a byte other than zero came after the current entry's data and padding: a header had begun.
    private bool _headerBegun;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get; set; }

    /// <summary>Whether the bytes ended before the current entry's data did.</summary>
    public bool EndedInData { get; private set; }

    /// <summary>Says where the entry whose header was just read ends: its data follows from here.</summary>
    public void EntryData(long length)
    {
        _dataEnd = Position + length;
        _headerBegun = false;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _synthetic >= 0 ? Supply(buffer) : Advance(buffer, inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_synthetic >= 0)
        {
            return Supply(buffer.Span);
        }

        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Advance(buffer.Span, n);
    }

    private int Advance(Span<byte> buffer, int n)
    {
        var padded = _dataEnd + ((Block - (_dataEnd % Block)) % Block);
        if (n > 0 || buffer.Length == 0)
        {
            // Bytes past the data's padding that are not all zeros are a header (of an entry, or pax or long-name
            // metadata the reader takes in as part of the next entry).
            var past = Position + n - padded;
            if (past > 0 && buffer.Slice((int)Math.Max(0, n - past), (int)Math.Min(n, past)).IndexOfAnyExcept((byte)0) >= 0)
            {
                _headerBegun = true;
            }

            Position += n;
            return n;
        }

        if (Position < _dataEnd)
        {
            EndedInData = true;
            return 0;
        }

        // Ended after complete data, with at most zeros after it: pad to the block, then two zero blocks. A stream
        // that ends after a header had begun gets none, and the reader reports it cut short.
        if (_headerBegun || (Position > padded && (Position - padded) % Block != 0))
        {
            return 0;
        }

        _synthetic = Position <= padded ? padded - Position + (2 * Block) : 2 * Block;
        return Supply(buffer);
    }

    private int Supply(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, _synthetic);
        buffer[..n].Clear();
        _synthetic -= n;
        Position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
