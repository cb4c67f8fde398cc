using System.Diagnostics;
using OrasAssemble.Layers;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// Decompression runs ahead of extraction on a thread of its own: the reader still sees the source's bytes exactly,
/// then its failure where it failed, and the source is never read more than a few buffers ahead.
/// </summary>
public sealed class ReadAheadStreamTests
{
    [Fact]
    public async Task The_reader_gets_every_byte_in_order_by_small_large_and_blocking_reads()
    {
        var data = new byte[3 * ReadAheadStream.ChunkBytes + 12345];
        new Random(7).NextBytes(data);
        var ahead = new ReadAheadStream(new MemoryStream(data));
        await using (ahead)
        {
            var read = new MemoryStream();
            var buffer = new byte[ReadAheadStream.ChunkBytes * 2];
            var sizes = new[] { 1, 511, 512, ReadAheadStream.ChunkBytes * 2, 7 };
            int n;
            for (var i = 0; ; i++)
            {
                var size = sizes[i % sizes.Length];
                n = i % 2 == 0 ? await ahead.ReadAsync(buffer.AsMemory(0, size)) : ahead.Read(buffer, 0, size);
                if (n == 0)
                {
                    break;
                }

                read.Write(buffer, 0, n);
            }

            Assert.Equal(data, read.ToArray());
            Assert.Equal(0, await ahead.ReadAsync(buffer));
        }
    }

    [Fact]
    public async Task The_source_s_failure_comes_after_the_bytes_it_gave_before_it()
    {
        var ahead = new ReadAheadStream(new FailingStream(1000, new InvalidDataException("the deflate data is corrupt")));
        await using (ahead)
        {
            var read = new MemoryStream();
            var buffer = new byte[300];
            var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                int n;
                while ((n = await ahead.ReadAsync(buffer)) > 0)
                {
                    read.Write(buffer, 0, n);
                }
            });

            Assert.Equal("the deflate data is corrupt", error.Message);
            Assert.Equal(1000, read.Length);
        }
    }

    [Fact]
    public async Task The_source_is_read_at_most_four_buffers_ahead_of_a_reader_that_stopped()
    {
        var source = new CountingStream(new ZeroStream(long.MaxValue));
        var ahead = new ReadAheadStream(source);
        await using (ahead)
        {
            Assert.Equal(1, await ahead.ReadAsync(new byte[1]));

            // Wait until the reading ahead stops: no change for half a second, within 30 s.
            var clock = Stopwatch.StartNew();
            long last = -1;
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                var now = source.BytesRead;
                if (now == last)
                {
                    break;
                }

                last = now;
                await Task.Delay(500);
            }

            Assert.Equal(last, source.BytesRead);
            Assert.InRange(source.BytesRead, ReadAheadStream.ChunkBytes, 4L * ReadAheadStream.ChunkBytes);
        }
    }

    [Fact]
    public async Task Disposing_stops_the_reading_ahead_then_disposes_the_source()
    {
        var source = new FailingStream(long.MaxValue, new InvalidOperationException("unused"));
        var ahead = new ReadAheadStream(source);
        Assert.Equal(10, await ahead.ReadAsync(new byte[10]));

        await ahead.DisposeAsync();

        Assert.True(source.Disposed);
        var reads = source.Reads;
        await Task.Delay(200);
        Assert.Equal(reads, source.Reads);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ahead.ReadExactlyAsync(new byte[1]));
    }

    /// <summary>Gives <c>length</c> bytes of 0x5a, then throws.</summary>
    private sealed class FailingStream(long length, Exception failure) : Stream
    {
        private long _position;

        public bool Disposed { get; private set; }

        public int Reads { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            Reads++;
            if (_position == length)
            {
                throw failure;
            }

            var n = (int)Math.Min(Math.Min(count, 100), length - _position);
            buffer.AsSpan(offset, n).Fill(0x5a);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
