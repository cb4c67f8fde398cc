using System.Diagnostics;
using System.Net;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// Bounds every response body the client reads, whoever reads it: a body that sends (next to) nothing for the idle
/// timeout fails its read with <see cref="IdleTimeoutException"/>, and cancelling that read closes the connection. The
/// response timeout covers only the wait for headers; without this, a registry that trickles a byte a second after
/// its headers would hold a pull for as long as it likes.
/// </summary>
internal sealed class IdleTimeoutHandler(HttpMessageHandler inner, bool ownsInner, TimeSpan idleTimeout) : HttpMessageHandler
{
    private readonly HttpMessageInvoker _inner = new(inner, ownsInner);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await _inner.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.Content = new IdleTimeoutContent(response.Content, idleTimeout, $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}");
        return response;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class IdleTimeoutContent : HttpContent
    {
        private readonly HttpContent _content;
        private readonly TimeSpan _idleTimeout;
        private readonly string _request;

        public IdleTimeoutContent(HttpContent content, TimeSpan idleTimeout, string request)
        {
            _content = content;
            _idleTimeout = idleTimeout;
            _request = request;
            foreach (var (name, values) in content.Headers)
            {
                Headers.TryAddWithoutValidation(name, values);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new IdleTimeoutStream(await _content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _idleTimeout, _request);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var body = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _content.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Judges progress in windows of the idle timeout: a window in which the body delivered less than
    /// <see cref="MinBytesPerWindow"/> while a read waited ends the read. So a silent body fails, and so does one
    /// trickled a byte at a time, while any real transfer, however slow its link, is far above the floor. Time the
    /// reader spends elsewhere between reads is not held against the registry.
    /// </summary>
    private sealed class IdleTimeoutStream(Stream body, TimeSpan idleTimeout, string request) : Stream
    {
        internal const int MinBytesPerWindow = 1024;

        private long _windowStart = Stopwatch.GetTimestamp();
        private long _windowBytes;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var elapsed = Stopwatch.GetElapsedTime(_windowStart);
            if (elapsed >= idleTimeout)
            {
                // The reader was busy elsewhere: a new window starts with this read.
                NewWindow();
                elapsed = TimeSpan.Zero;
            }

            // A window that has had its floor passes; the read may then wait through the whole next one.
            var enough = _windowBytes >= MinBytesPerWindow;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter((enough ? idleTimeout * 2 : idleTimeout) - elapsed);
            int n;
            try
            {
                n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                var sent = enough || _windowBytes == 0 ? "nothing" : $"only {_windowBytes} bytes";
                throw new IdleTimeoutException(request,
                    $"the registry sent {sent} in {Configuration.SettingsDuration.Format(idleTimeout)} (transfer.idleTimeout)", e);
            }

            if (Stopwatch.GetElapsedTime(_windowStart) >= idleTimeout)
            {
                NewWindow();
            }

            _windowBytes += n;
            return n;
        }

        private void NewWindow()
        {
            _windowStart = Stopwatch.GetTimestamp();
            _windowBytes = 0;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
