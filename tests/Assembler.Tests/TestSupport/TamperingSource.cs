using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>A source that serves other bytes of the same length for one digest, as a broken mirror would.</summary>
internal sealed class TamperingSource(ITarget inner, string tamperedDigest) : IReadOnlyTarget
{
    public async Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        if (target.Digest != tamperedDigest)
        {
            return await inner.FetchAsync(target, cancellationToken);
        }

        await using var original = await inner.FetchAsync(target, cancellationToken);
        using var buffer = new MemoryStream();
        await original.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        bytes[0] ^= 0xff;
        return new MemoryStream(bytes);
    }

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default) => inner.ExistsAsync(target, cancellationToken);

    public Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default) => inner.ResolveAsync(reference, cancellationToken);
}
