using System.Security.Cryptography;
using OrasAssemble.Oci;

namespace OrasAssemble.Registry.Remote.Blobs;

/// <summary>
/// A blob body that a mirror served (all or part of it). It hashes what passes, so that when the bytes turn out not
/// to be the blob it can blame the mirror: it marks the mirror as having lied for this digest and throws a
/// <see cref="MirrorContentException"/> before its reader sees the end, which makes the reader drop what it wrote
/// and fetch again (from the registry). The reader's own <see cref="Content.VerifyingStream"/> stays the check that
/// counts; this one only decides whom to blame.
/// </summary>
internal sealed class MirroredBlobStream : Stream
{
    private readonly Stream _inner;
    private readonly Descriptor _expected;
    private readonly Func<IReadOnlyCollection<string>> _mirrors;
    private readonly Action<string, string> _lied;
    private readonly IncrementalHash _hash;
    private long _read;
    private bool _checked;

    /// <param name="mirrors">The mirrors that served any of the bytes so far.</param>
    /// <param name="lied">Called with (mirror, cause) for each of them when the bytes are wrong.</param>
    public MirroredBlobStream(Stream inner, Descriptor expected, Func<IReadOnlyCollection<string>> mirrors, Action<string, string> lied)
    {
        _inner = inner;
        _expected = expected;
        _mirrors = mirrors;
        _lied = lied;
        _hash = Digest.CreateHash(expected.Digest);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _expected.Size;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _read += n;
        if (_read > _expected.Size)
        {
            Blame($"it sent more than the {_expected.Size} bytes of {_expected.Digest}");
        }

        _hash.AppendData(buffer.Span[..n]);
        if (n == 0 || _read == _expected.Size)
        {
            Check();
        }

        return n;
    }

    private void Check()
    {
        if (_checked)
        {
            return;
        }

        _checked = true;
        if (_read != _expected.Size)
        {
            Blame($"it sent {_read} of the {_expected.Size} bytes of {_expected.Digest}");
        }

        var actual = Digest.Format(Digest.Algorithm(_expected.Digest), _hash.GetHashAndReset());
        if (!string.Equals(actual, _expected.Digest, StringComparison.Ordinal))
        {
            Blame($"digest mismatch: expected {_expected.Digest}, got {actual}");
        }
    }

    private void Blame(string cause)
    {
        var mirrors = _mirrors().ToList();
        foreach (var mirror in mirrors)
        {
            _lied(mirror, cause);
        }

        throw new MirrorContentException($"blob {_expected.Digest} from mirror {string.Join(", ", mirrors)}: {cause}; nothing of it was kept");
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
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        _hash.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
