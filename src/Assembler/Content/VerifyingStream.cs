using System.Security.Cryptography;
using OrasAssemble.Oci;

namespace OrasAssemble.Content;

/// <summary>
/// Reads through to an inner stream while hashing; refuses more bytes than the descriptor's size and, at the
/// end, fewer bytes or a different digest. A reader that reaches the end has seen exactly the described content.
/// A caller that knows whom to blame for wrong bytes passes <c>onMismatch</c>, which turns the verification failure
/// into the exception thrown in its place.
/// </summary>
public sealed class VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly Descriptor _expected;
    private readonly IncrementalHash _hash;
    private readonly bool _leaveOpen;
    private readonly Func<ContentVerificationException, Exception>? _onMismatch;
    private long _read;
    private bool _verified;

    public VerifyingStream(Stream inner, Descriptor expected, bool leaveOpen = false, Func<ContentVerificationException, Exception>? onMismatch = null)
    {
        _inner = inner;
        _expected = expected;
        _hash = Digest.CreateHash(expected.Digest);
        _leaveOpen = leaveOpen;
        _onMismatch = onMismatch;
    }

    public long BytesRead => _read;

    /// <summary>
    /// Whether reading this stream to its end checks all of <paramref name="expected"/>'s bytes: it verifies the same
    /// digest and size and nothing has been read from it yet. A store it is pushed into then need not hash them again.
    /// </summary>
    public bool VerifiesAllOf(Descriptor expected) =>
        _read == 0 && _expected.Size == expected.Size && string.Equals(_expected.Digest, expected.Digest, StringComparison.Ordinal);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _expected.Size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = _inner.Read(Clamp(buffer));
        return Account(buffer[..n]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(Clamp(buffer), cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..n]);
    }

    // Ask for one byte more than remains so an over-long body is noticed rather than silently truncated.
    private Span<byte> Clamp(Span<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, _expected.Size - _read + 1)];

    private Memory<byte> Clamp(Memory<byte> buffer) => buffer[..(int)Math.Min(buffer.Length, _expected.Size - _read + 1)];

    private int Account(ReadOnlySpan<byte> chunk)
    {
        _read += chunk.Length;
        if (_read > _expected.Size)
        {
            throw Mismatch($"content of {_expected.Digest} is larger than the {_expected.Size} bytes its descriptor states");
        }

        _hash.AppendData(chunk);
        if (!chunk.IsEmpty)
        {
            ContentMetrics.VerifiedBytes.Add(chunk.Length);
        }

        // Check as soon as the stated size is reached, so a reader that stops there has verified bytes;
        // a further read still notices trailing bytes, and end-of-stream notices missing ones.
        if (chunk.Length == 0 || _read == _expected.Size)
        {
            Verify();
        }

        return chunk.Length;
    }

    private void Verify()
    {
        if (_verified)
        {
            return;
        }

        if (_read != _expected.Size)
        {
            throw Mismatch($"content of {_expected.Digest} ended after {_read} of {_expected.Size} bytes");
        }

        var actual = Digest.Format(Digest.Algorithm(_expected.Digest), _hash.GetHashAndReset());
        if (!string.Equals(actual, _expected.Digest, StringComparison.Ordinal))
        {
            throw Mismatch($"digest mismatch: expected {_expected.Digest}, got {actual}");
        }

        _verified = true;
    }

    private Exception Mismatch(string message)
    {
        var failure = new ContentVerificationException(message);
        return _onMismatch?.Invoke(failure) ?? failure;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _hash.Dispose();
        if (!_leaveOpen)
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
        }

        GC.SuppressFinalize(this);
    }
}
