using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace OrasAssemble.Layers;

/// <summary>
/// Reads a stream ahead of its reader on another thread, a few fixed buffers ahead at most: a layer's decompression
/// then runs beside the writing of its files, rather than in turns with it. Read-only, forward-only. The reader gets
/// every byte the source gave before it failed, then the source's own exception, as if it had read the source itself;
/// disposing stops the reading ahead before it disposes the source.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    /// <summary>The size of each buffer.</summary>
    public const int ChunkBytes = 256 * 1024;

    // Buffers filled and waiting for the reader; with the one being filled and the one being read, the memory used.
    private const int Depth = 2;

    private readonly Stream _source;
    private readonly Channel<Chunk> _filled = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(Depth) { SingleReader = true, SingleWriter = true });
    private readonly Channel<byte[]> _free = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Depth + 2) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ahead;
    private ExceptionDispatchInfo? _failure;
    private Chunk _current;
    private int _offset;
    private bool _disposed;

    public ReadAheadStream(Stream source)
    {
        _source = source;
        for (var i = 0; i < Depth + 2; i++)
        {
            _free.Writer.TryWrite(new byte[ChunkBytes]);
        }

        _ahead = Task.Run(() => FillAsync(_stop.Token));
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (Exhausted() && !Take(_filled.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()))
        {
            return 0;
        }

        return CopyOut(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (Exhausted() && !Take(await _filled.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)))
        {
            return 0;
        }

        return CopyOut(buffer.Span);
    }

    /// <summary>Whether the buffer being read is done; if so it goes back to be filled again.</summary>
    private bool Exhausted()
    {
        if (_current.Buffer is not null && _offset < _current.Count)
        {
            return false;
        }

        if (_current.Buffer is { } done)
        {
            // Never full: there are as many places as buffers.
            _free.Writer.TryWrite(done);
            _current = default;
        }

        return true;
    }

    /// <summary>Takes the next filled buffer; false at the source's end, and the source's failure is thrown there.</summary>
    private bool Take(bool more)
    {
        if (!more || !_filled.Reader.TryRead(out _current))
        {
            _failure?.Throw();
            return false;
        }

        _offset = 0;
        return true;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _current.Count - _offset);
        _current.Buffer.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _stop.CancelAsync().ConfigureAwait(false);
            await _ahead.ConfigureAwait(false);
            await _source.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    // Never throws: the source's end or failure is handed to the reader after the bytes before it.
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var buffer = await _free.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var filled = 0;
                var ended = false;
                try
                {
                    while (filled < buffer.Length)
                    {
                        var n = await _source.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                        if (n == 0)
                        {
                            ended = true;
                            break;
                        }

                        filled += n;
                    }
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }

                if (filled > 0)
                {
                    await _filled.Writer.WriteAsync(new Chunk(buffer, filled), cancellationToken).ConfigureAwait(false);
                }

                if (ended || _failure is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: nobody reads on.
        }

        // The failure is written before the channel completes, so the reader sees it once the chunks run out.
        _filled.Writer.TryComplete();
    }

    private readonly record struct Chunk(byte[] Buffer, int Count);
}
