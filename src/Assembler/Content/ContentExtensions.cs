using OrasAssemble.Oci;

namespace OrasAssemble.Content;

public static class ContentExtensions
{
    /// <summary>Reads a whole (small, bounded) piece of content, verified against its descriptor.</summary>
    public static async Task<byte[]> FetchAllAsync(this IFetchable store, Descriptor target, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (target.Size > maxBytes)
        {
            throw new SizeLimitExceededException($"{target.Digest} is {target.Size} bytes, over the limit of {maxBytes}");
        }

        if (target.Size < 0 || target.Size > int.MaxValue)
        {
            throw new ContentVerificationException($"{target.Digest} states an impossible size {target.Size}");
        }

        await using var stream = await store.FetchAsync(target, cancellationToken).ConfigureAwait(false);
        return await ReadVerifiedAsync(stream, target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a stream to its end through a <see cref="VerifyingStream"/>.</summary>
    public static async Task<byte[]> ReadVerifiedAsync(Stream stream, Descriptor target, CancellationToken cancellationToken)
    {
        var buffer = new byte[target.Size];
        await using var verifying = new VerifyingStream(stream, target, leaveOpen: true);
        await verifying.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        // One more read sees end-of-stream, so the digest is checked and trailing bytes are refused.
        var extra = new byte[1];
        _ = await verifying.ReadAsync(extra, cancellationToken).ConfigureAwait(false);
        return buffer;
    }

    /// <summary>Pushes bytes held in memory, with the descriptor computed from them.</summary>
    public static async Task<Descriptor> PushBytesAsync(this IPushable store, string mediaType, byte[] content, IReadOnlyDictionary<string, string>? annotations = null, CancellationToken cancellationToken = default)
    {
        var descriptor = Descriptor.Create(content, mediaType) with { Annotations = annotations };
        using var stream = new MemoryStream(content, writable: false);
        await store.PushAsync(descriptor, stream, cancellationToken).ConfigureAwait(false);
        return descriptor;
    }

    /// <summary>Makes sure the store holds the OCI empty blob (<c>{}</c>), the config of every artifact manifest.</summary>
    public static async Task EnsureEmptyConfigAsync(this IStorage store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!await store.ExistsAsync(Descriptor.Empty, cancellationToken).ConfigureAwait(false))
        {
            using var content = new MemoryStream("{}"u8.ToArray(), writable: false);
            await store.PushAsync(Descriptor.Empty, content, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Pushes a manifest (or index) and, when <paramref name="tag"/> is given, tags it: in one request where the store
    /// can do both at once, else push then tag. What it references must already be in the store.
    /// </summary>
    public static async Task<Descriptor> PushManifestAsync(this ITarget store, string mediaType, byte[] content, string? tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var descriptor = Descriptor.Create(content, mediaType);
        using var stream = new MemoryStream(content, writable: false);
        if (tag is not null && store is IReferencePushable byReference)
        {
            await byReference.PushAsync(descriptor, stream, tag, cancellationToken).ConfigureAwait(false);
            return descriptor;
        }

        await store.PushAsync(descriptor, stream, cancellationToken).ConfigureAwait(false);
        if (tag is not null)
        {
            await store.TagAsync(descriptor, tag, cancellationToken).ConfigureAwait(false);
        }

        return descriptor;
    }
}
