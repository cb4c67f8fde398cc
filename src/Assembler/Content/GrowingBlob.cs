using Microsoft.Win32.SafeHandles;
using OrasAssemble.Oci;

namespace OrasAssemble.Content;

/// <summary>
/// A blob while it is being written to the store: how many bytes of its temporary file are on disk, and whether the
/// write ended (verified and published, or failed). <see cref="OpenRead"/> gives a reader of those bytes as they
/// arrive, so extraction can start before the download ends; each byte is still hashed once, by the writer.
/// </summary>
internal sealed class GrowingBlob : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeSpan _stallTimeout;
    private TaskCompletionSource _changed = NewSignal();
    private SafeFileHandle? _handle;
    private long _written;
    private bool _verified;
    private Exception? _failure;

    /// <param name="stallTimeout">How long a reader waits for the next bytes before it gives up on the writer.</param>
    public GrowingBlob(Descriptor descriptor, TimeSpan stallTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(stallTimeout, TimeSpan.Zero);
        Descriptor = descriptor;
        _stallTimeout = stallTimeout;
    }

    public Descriptor Descriptor { get; }

    /// <summary>Whether the write failed (or the blob was disposed before it ended).</summary>
    public bool HasFailed
    {
        get
        {
            lock (_gate)
            {
                return _failure is not null;
            }
        }
    }

    /// <summary>The writer has created the file at <paramref name="path"/>; readers read it through one handle of their own.</summary>
    internal void Started(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        var unused = handle;
        Signal(() =>
        {
            if (_handle is null && _failure is null)
            {
                _handle = handle;
                unused = null;
            }
        });
        unused?.Dispose();
    }

    /// <summary><paramref name="total"/> bytes are written to the file (not yet verified).</summary>
    internal void Wrote(long total) => Signal(() => _written = total);

    /// <summary>The blob is whole and verified at <paramref name="path"/> (which a reader opens when the writer never started).</summary>
    internal void Verified(string path)
    {
        var handle = _handle is null
            ? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous)
            : null;
        var unused = handle;
        Signal(() =>
        {
            if (_handle is null && _failure is null)
            {
                _handle = handle;
                unused = null;
            }

            _written = Descriptor.Size;
            _verified = true;
        });

        // Opened for a blob that had a handle by then, or was disposed: nobody else would close it.
        unused?.Dispose();
    }

    internal void Failed(Exception failure) => Signal(() => _failure ??= failure);

    /// <summary>
    /// A stream of the blob's bytes from the start, which waits for bytes not yet written and throws the writer's
    /// failure. It ends at the descriptor's size whether or not the digest has been checked yet: whoever uses what it
    /// read waits for the write to end first.
    /// </summary>
    public Stream OpenRead() => new Reader(this);

    public void Dispose()
    {
        lock (_gate)
        {
            _handle?.Dispose();
            _failure ??= new ObjectDisposedException(nameof(GrowingBlob));
            _changed.TrySetResult();
        }
    }

    private void Signal(Action change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            change();
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>The handle and how many bytes beyond <paramref name="position"/> may be read, waiting (bounded) until there are some.</summary>
    private async ValueTask<(SafeFileHandle Handle, long Available)> WaitForAsync(long position, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _stallTimeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_failure is { } failure)
                {
                    throw new IOException($"reading blob {Descriptor.Digest} while it downloads: {failure.Message}", failure);
                }

                if (_handle is { } handle && (_written > position || (_verified && position >= _written)))
                {
                    return (handle, _written - position);
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"the download of blob {Descriptor.Digest} wrote nothing for {_stallTimeout.TotalSeconds:0.#} s");
            }

            try
            {
                await changed.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked again above, which names the blob.
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Reader(GrowingBlob blob) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => blob.Descriptor.Size;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty || _position >= blob.Descriptor.Size)
            {
                return 0;
            }

            var (handle, available) = blob.WaitForAsync(_position, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (available <= 0)
            {
                return 0;
            }

            var n = RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, available)], _position);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty || _position >= blob.Descriptor.Size)
            {
                return 0;
            }

            var (handle, available) = await blob.WaitForAsync(_position, cancellationToken).ConfigureAwait(false);
            if (available <= 0)
            {
                return 0;
            }

            // Bytes already written are in the page cache: read them here. On Unix an asynchronous file read is the
            // same pread queued to the thread pool, and a layer is read in tens of thousands of small reads (the
            // decompressor's buffer), each such hop waking pool threads that then spin.
            var n = RandomAccess.Read(handle, buffer.Span[..(int)Math.Min(buffer.Length, available)], _position);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
