using OrasAssemble.Oci;

namespace OrasAssemble.Content;

// The capability interfaces every store implements a subset of. Their shape follows the ORAS SDKs
// (oras-go, oras-dotnet) so code written against them reads the same and a swap stays cheap.

/// <summary>Reads content by descriptor. The stream verifies size and digest as it is read.</summary>
public interface IFetchable
{
    Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default);
}

/// <summary>Stores content that must match the descriptor, or nothing is stored.</summary>
public interface IPushable
{
    Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default);
}

public interface IReadOnlyStorage : IFetchable
{
    Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default);
}

public interface IStorage : IReadOnlyStorage, IPushable;

internal interface IDeletable
{
    Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default);
}

/// <summary>Turns a tag or digest into the descriptor of the manifest it names.</summary>
public interface IResolvable
{
    Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default);
}

public interface ITaggable
{
    Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default);
}

/// <summary>Resolves and fetches in one call (one round trip on a registry).</summary>
public interface IReferenceFetchable
{
    Task<(Descriptor Descriptor, Stream Content)> FetchAsync(string reference, CancellationToken cancellationToken = default);
}

/// <summary>Pushes a manifest and tags it in one call (one round trip on a registry).</summary>
internal interface IReferencePushable
{
    Task PushAsync(Descriptor expected, Stream content, string reference, CancellationToken cancellationToken = default);
}

public interface IReadOnlyTarget : IReadOnlyStorage, IResolvable;

/// <summary>Somewhere artifacts live: a registry repository, an OCI image layout on disk, memory.</summary>
public interface ITarget : IReadOnlyTarget, IStorage, ITaggable;

/// <summary>Lists the manifests whose <c>subject</c> is a given manifest.</summary>
public interface IReferrerLister
{
    IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, CancellationToken cancellationToken = default);
}

public interface ITagLister
{
    IAsyncEnumerable<string> ListTagsAsync(string? last = null, CancellationToken cancellationToken = default);
}

/// <summary>Makes a blob of another repository on the same registry available without uploading it.</summary>
internal interface IBlobMounter
{
    Task MountAsync(Descriptor descriptor, string fromRepository, Func<CancellationToken, Task<Stream>>? getContent = null, CancellationToken cancellationToken = default);
}
