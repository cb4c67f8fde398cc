using System.Net;
using OrasAssemble.Oci;

namespace OrasAssemble.Registry.Remote.Blobs;

/// <summary>
/// A blob body that survives dropped connections and stalls: when a read fails (or the idle timeout ends it) it asks
/// again from the byte it got to (<c>Range: bytes=N-</c>) and carries on; each resume is reported. When resuming does
/// not help the read fails with a <see cref="RegistryTransferException"/> naming the blob. Verification happens
/// outside, over the joined bytes.
/// </summary>
internal sealed class ResumableBlobStream : Stream
{
    private readonly Func<long, CancellationToken, Task<HttpResponseMessage>> _requestFrom;
    private readonly Descriptor _descriptor;
    private readonly int _maxResumes;
    private readonly string _operation;
    private readonly Action<int, int, string, bool>? _resuming;
    private HttpResponseMessage _response;
    private Stream _body;
    private long _position;
    private int _resumes;

    private ResumableBlobStream(
        Descriptor descriptor, HttpResponseMessage response, Stream body, Func<long, CancellationToken, Task<HttpResponseMessage>> requestFrom,
        int maxResumes, string operation, Action<int, int, string, bool>? resuming)
    {
        _descriptor = descriptor;
        _operation = operation;
        _resuming = resuming;
        _response = response;
        _body = body;
        _requestFrom = requestFrom;
        _maxResumes = maxResumes;
    }

    /// <param name="operation">Names the blob in the error, e.g. <c>fetch blob host/repo@sha256:…</c>.</param>
    /// <param name="resuming">Told (attempt about to be made, attempts in all, cause, whether it was a stall) before each resume.</param>
    public static async Task<ResumableBlobStream> OpenAsync(
        Descriptor descriptor, HttpResponseMessage response,
        Func<long, CancellationToken, Task<HttpResponseMessage>> requestFrom, int maxResumes, string operation,
        Action<int, int, string, bool>? resuming, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new ResumableBlobStream(descriptor, response, body, requestFrom, maxResumes, operation, resuming);
    }

    public int Resumes => _resumes;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _descriptor.Size;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int n;
            try
            {
                n = await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException
                && !cancellationToken.IsCancellationRequested && _resumes < _maxResumes && _position < _descriptor.Size)
            {
                _resuming?.Invoke(_resumes + 2, _maxResumes + 1, $"{Cause(e)} at byte {_position} of {_descriptor.Size}", e is IdleTimeoutException);
                await ResumeAsync(e, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new RegistryTransferException(
                    $"{_operation}: {Cause(e)} at byte {_position} of {_descriptor.Size} " +
                    $"(attempt {_resumes + 1} of {_maxResumes + 1}, each resuming where the last stopped)", _response.StatusCode, e);
            }

            _position += n;
            return n;
        }
    }

    /// <summary>Why a body read failed, in a few words: a stall names the idle timeout, a drop says so.</summary>
    internal static string Cause(Exception e) =>
        e is IdleTimeoutException idle ? idle.Reason : $"the connection dropped ({e.Message})";

    private async Task ResumeAsync(Exception cause, CancellationToken cancellationToken)
    {
        _resumes++;
        await _body.DisposeAsync().ConfigureAwait(false);
        _response.Dispose();

        var response = await _requestFrom(_position, cancellationToken).ConfigureAwait(false);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                if (range?.From != _position)
                {
                    throw new IOException(
                        $"resuming {_descriptor.Digest} at byte {_position}: the registry answered a different range ({range})", cause);
                }
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                // The server ignored Range and sent the blob from the start: skip what we already have.
                await SkipAsync(body, _position, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                throw new IOException(
                    $"resuming {_descriptor.Digest} at byte {_position}: the registry answered {(int)response.StatusCode} {response.ReasonPhrase}", cause);
            }

            _response = response;
            _body = body;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("the registry's answer ended before the resume point");
            }

            count -= n;
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
