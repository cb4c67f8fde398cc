using System.Collections.Concurrent;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.Execution;

/// <summary>A read-only view of a store that counts what was asked of it.</summary>
internal sealed class CountingTarget(IReadOnlyTarget inner) : IReadOnlyTarget
{
    /// <summary>Fetches of blobs (layers, configs) by digest; manifests are not counted here.</summary>
    public ConcurrentDictionary<string, int> BlobFetches { get; } = new(StringComparer.Ordinal);

    public int Resolves;

    public int FetchesOf(string digest) => BlobFetches.TryGetValue(digest, out var n) ? n : 0;

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default) => inner.ExistsAsync(target, cancellationToken);

    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        if (!MediaTypes.IsManifestOrIndex(target.MediaType))
        {
            BlobFetches.AddOrUpdate(target.Digest, 1, (_, n) => n + 1);
        }

        return inner.FetchAsync(target, cancellationToken);
    }

    public Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Resolves);
        return inner.ResolveAsync(reference, cancellationToken);
    }
}
