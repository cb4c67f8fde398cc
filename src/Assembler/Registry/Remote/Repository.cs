using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote.Blobs;
using OrasAssemble.Registry.Remote.Manifests;
using OrasAssemble.Registry.Remote.Referrers;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// One repository on a registry, spoken to through the OCI distribution API. Shaped like the ORAS SDKs'
/// <c>Repository</c>: resolve, fetch, push, tag, delete, mount, list tags and referrers. It hands each call to its
/// blob store or its manifest store (which keeps the referrers), choosing by the descriptor's media type.
/// </summary>
public sealed class Repository : ITarget, IDeletable, IReferenceFetchable, IReferencePushable, IReferrerLister, ITagLister, IBlobMounter
{
    private readonly RepositoryEndpoint _endpoint;
    private readonly RemoteBlobStore _blobs;
    private readonly RemoteManifestStore _manifests;

    internal Repository(Reference reference, RegistryClient client)
    {
        _endpoint = new RepositoryEndpoint(reference, client);
        _blobs = new RemoteBlobStore(_endpoint);
        _manifests = new RemoteManifestStore(_endpoint);
    }

    public Reference Reference => _endpoint.Reference;

    /// <summary><c>registry/repository</c>, as messages name it.</summary>
    public string Name => _endpoint.Name;

    /// <summary>Whether the registry serves the referrers API; null until a call found out.</summary>
    public bool? SupportsReferrersApi => _manifests.Referrers.SupportsApi;

    /// <summary>The tag schema fallback: <c>&lt;alg&gt;-&lt;hex&gt;</c> names an index of a subject's referrers.</summary>
    public static string ReferrersTag(Descriptor subject) => RemoteReferrers.Tag(subject);

    public Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default) =>
        _manifests.ResolveAsync(reference, cancellationToken);

    public Task<(Descriptor Descriptor, Stream Content)> FetchAsync(string reference, CancellationToken cancellationToken = default) =>
        _manifests.FetchAsync(reference, cancellationToken);

    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default) =>
        StoreFor(target).FetchAsync(target, cancellationToken);

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default) =>
        StoreFor(target).ExistsAsync(target, cancellationToken);

    public Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default) =>
        StoreFor(target).DeleteAsync(target, cancellationToken);

    public Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default) =>
        StoreFor(expected).PushAsync(expected, content, cancellationToken);

    public Task PushAsync(Descriptor expected, Stream content, string reference, CancellationToken cancellationToken = default) =>
        _manifests.PushAsync(expected, content, reference, cancellationToken);

    public Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default) =>
        _manifests.TagAsync(descriptor, reference, cancellationToken);

    public Task MountAsync(Descriptor descriptor, string fromRepository, Func<CancellationToken, Task<Stream>>? getContent = null, CancellationToken cancellationToken = default) =>
        _blobs.MountAsync(descriptor, fromRepository, getContent, cancellationToken);

    public IAsyncEnumerable<string> ListTagsAsync(string? last = null, CancellationToken cancellationToken = default) =>
        _manifests.ListTagsAsync(last, cancellationToken);

    public IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, CancellationToken cancellationToken = default) =>
        _manifests.Referrers.ListAsync(subject, artifactType, cancellationToken);

    public override string ToString() => Name;

    // The one place the media type decides: manifests and indexes live under manifests/, everything else under blobs/.
    private IRemoteStore StoreFor(Descriptor descriptor) =>
        MediaTypes.IsManifestOrIndex(descriptor.MediaType) ? _manifests : _blobs;
}
