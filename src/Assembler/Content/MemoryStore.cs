using OrasAssemble.Oci;
using OrasAssemble.Text;

namespace OrasAssemble.Content;

/// <summary>
/// Artifacts held in memory: for tests and for small amounts of content. Pushes are verified like any other store's,
/// so a test against it catches the same wrong descriptors a registry would.
/// </summary>
internal sealed class MemoryStore : ITarget, IDeletable, IReferrerLister, ITagLister, IReferenceFetchable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Descriptor Descriptor, byte[] Content)> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Descriptor> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReferrerInfo> _manifests = new(StringComparer.Ordinal);

    /// <summary>Largest manifest or index accepted, since its bytes are parsed.</summary>
    public long MaxManifestBytes { get; init; } = OciLimits.MaxManifestBytes;

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        lock (_lock)
        {
            return Task.FromResult(_blobs.TryGetValue(target.Digest, out var blob) && blob.Content.LongLength == target.Size);
        }
    }

    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var content = Get(target.Digest).Content;
        return Task.FromResult<Stream>(new VerifyingStream(new MemoryStream(content, writable: false), target));
    }

    /// <summary>Stores the content if it matches the descriptor; content already held is not read again.</summary>
    public async Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(content);
        Digest.Validate(expected.Digest);
        if (await ExistsAsync(expected, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (MediaTypes.IsManifestOrIndex(expected.MediaType) && expected.Size > MaxManifestBytes)
        {
            throw new SizeLimitExceededException($"manifest {expected.Digest} is {expected.Size} bytes, over the limit of {MaxManifestBytes}");
        }

        if (expected.Size < 0 || expected.Size > Array.MaxLength)
        {
            throw new ContentVerificationException($"{expected.Digest} states a size {expected.Size} a memory store cannot hold");
        }

        var bytes = await ContentExtensions.ReadVerifiedAsync(content, expected, cancellationToken).ConfigureAwait(false);
        var info = MediaTypes.IsManifestOrIndex(expected.MediaType)
            ? ReferrerInfo.Parse(bytes, expected.MediaType, $"manifest {expected.Digest}")
            : null;
        lock (_lock)
        {
            _blobs[expected.Digest] = (expected.Basic(), bytes);
            if (info is not null)
            {
                _manifests[expected.Digest] = info;
            }
        }
    }

    public Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        lock (_lock)
        {
            if (!_blobs.Remove(target.Digest))
            {
                throw new NotFoundException($"{target.Digest} not found");
            }

            _manifests.Remove(target.Digest);
            foreach (var tag in _tags.Where(t => t.Value.Digest == target.Digest).Select(t => t.Key).ToList())
            {
                _tags.Remove(tag);
            }
        }

        return Task.CompletedTask;
    }

    public Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        lock (_lock)
        {
            if (_tags.TryGetValue(reference, out var tagged))
            {
                return Task.FromResult(tagged);
            }

            if (Digest.IsValid(reference) && _blobs.TryGetValue(reference, out var blob))
            {
                return Task.FromResult(blob.Descriptor);
            }
        }

        throw new NotFoundException($"reference {QuotedValue.Of(reference)} not found");
    }

    public Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        TagName.Validate(reference);
        lock (_lock)
        {
            if (!_blobs.ContainsKey(descriptor.Digest))
            {
                throw new NotFoundException($"cannot tag {descriptor.Digest} as {QuotedValue.Of(reference)}: it is not in the store");
            }

            _tags[reference] = descriptor;
        }

        return Task.CompletedTask;
    }

    public async Task<(Descriptor Descriptor, Stream Content)> FetchAsync(string reference, CancellationToken cancellationToken = default)
    {
        var descriptor = await ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        return (descriptor, await FetchAsync(descriptor, cancellationToken).ConfigureAwait(false));
    }

    public IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        lock (_lock)
        {
            return _manifests
                .Where(m => m.Value.Refers(subject, artifactType))
                .Select(m => m.Value.Describe(_blobs[m.Key].Descriptor))
                .OrderBy(d => d.Digest, StringComparer.Ordinal)
                .ToList()
                .ToAsyncEnumerable();
        }
    }

    public IAsyncEnumerable<string> ListTagsAsync(string? last = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return _tags.Keys
                .Where(t => last is null || string.CompareOrdinal(t, last) > 0)
                .Order(StringComparer.Ordinal)
                .ToList()
                .ToAsyncEnumerable();
        }
    }

    private (Descriptor Descriptor, byte[] Content) Get(string digest)
    {
        lock (_lock)
        {
            return _blobs.TryGetValue(digest, out var blob) ? blob : throw new NotFoundException($"{digest} not found");
        }
    }
}
