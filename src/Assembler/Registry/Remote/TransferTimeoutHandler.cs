using System.Diagnostics;
using System.Net;
using OrasAssemble.Settings;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// Bounds every wait of a transfer, whoever reads or writes its body:
/// <list type="bullet">
/// <item>a response body that delivers (next to) nothing for the idle timeout fails its read with
/// <see cref="IdleTimeoutException"/>, and cancelling that read closes the connection. The response timeout covers
/// only the wait for headers; without this, a registry that trickles a byte a second after its headers would hold a
/// pull for as long as it likes;</item>
/// <item>a request body (an upload) whose writes the registry stops taking fails the same way;</item>
/// <item>once an upload's body is sent, its response headers must come within the response timeout, as those of a
/// request without a body must (that one is timed by the client, which also times the wait for a connection).</item>
/// </list>
/// </summary>
internal sealed class TransferTimeoutHandler(HttpMessageHandler inner, bool ownsInner, TimeSpan responseTimeout, TimeSpan idleTimeout)
    : HttpMessageHandler
{
    /// <summary>Writes are handed on in pieces no larger than this, so each piece has the idle timeout to itself.</summary>
    private const int MaxWrite = 16 * 1024;

    private readonly HttpMessageInvoker _inner = new(inner, ownsInner);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var what = $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}";
        HttpResponseMessage response;
        if (request.Content is null)
        {
            response = await _inner.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The request's own token is the one that reaches its body's writes: a stalled write cancels it.
            using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var body = new BoundedRequestContent(request.Content, idleTimeout, what,
                sent: () => Try(() => answer.CancelAfter(responseTimeout)),
                stalled: () => Try(answer.Cancel));
            request.Content = body;
            try
            {
                response = await _inner.SendAsync(request, answer.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (body.Stall is { } stall && !cancellationToken.IsCancellationRequested && e is not IdleTimeoutException)
            {
                throw new HttpRequestException(stall.Message, stall);
            }
        }

        response.Content = new IdleTimeoutContent(response.Content, idleTimeout, what);
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

    // The registry may answer before the body is all sent; the request's token source is gone by then.
    private static void Try(Action timing)
    {
        try
        {
            timing();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The content a request was built with, under the wrapper this handler put around it.</summary>
    public static HttpContent? Unwrap(HttpContent? content) => content is BoundedRequestContent bounded ? bounded.Inner : content;

    private sealed class BoundedRequestContent : HttpContent
    {
        private readonly TimeSpan _idleTimeout;
        private readonly string _request;
        private readonly Action _sent;
        private readonly Action _stalled;

        public BoundedRequestContent(HttpContent inner, TimeSpan idleTimeout, string request, Action sent, Action stalled)
        {
            Inner = inner;
            _idleTimeout = idleTimeout;
            _request = request;
            _sent = sent;
            _stalled = stalled;
            foreach (var (name, values) in inner.Headers)
            {
                Headers.TryAddWithoutValidation(name, values);
            }
        }

        public HttpContent Inner { get; }

        /// <summary>Set when a write waited out the idle timeout.</summary>
        public IdleTimeoutException? Stall { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await Inner.CopyToAsync(new IdleWriteStream(stream, this), context, cancellationToken).ConfigureAwait(false);
            _sent();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Inner.Headers.ContentLength ?? 0;
            return Inner.Headers.ContentLength is not null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>Each write (in pieces of <see cref="MaxWrite"/>) must be taken within the idle timeout.</summary>
        private sealed class IdleWriteStream(Stream body, BoundedRequestContent owner) : Stream
        {
            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override void Write(byte[] buffer, int offset, int count) =>
                WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                for (var offset = 0; offset < buffer.Length; offset += MaxWrite)
                {
                    var piece = buffer.Slice(offset, Math.Min(MaxWrite, buffer.Length - offset));
                    using var idle = new CancellationTokenSource(owner._idleTimeout);
                    await using (idle.Token.Register(Stalled).ConfigureAwait(false))
                    {
                        await body.WriteAsync(piece, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            public override void Flush() => body.Flush();

            public override Task FlushAsync(CancellationToken cancellationToken) => body.FlushAsync(cancellationToken);

            private void Stalled()
            {
                owner.Stall = new IdleTimeoutException(owner._request,
                    $"the registry took nothing of the upload for {SettingsDuration.Format(owner._idleTimeout)} (transfer.idleTimeout)",
                    new OperationCanceledException());
                owner._stalled();
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
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

            // No read waits longer than the timeout for its first byte; one in a window still short of its floor
            // waits only until that window ends.
            var enough = _windowBytes >= MinBytesPerWindow;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(enough ? idleTimeout : idleTimeout - elapsed);
            int n;
            try
            {
                n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                var sent = enough || _windowBytes == 0 ? "nothing" : $"only {_windowBytes} bytes";
                throw new IdleTimeoutException(request,
                    $"the registry sent {sent} in {SettingsDuration.Format(idleTimeout)} (transfer.idleTimeout)", e);
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
