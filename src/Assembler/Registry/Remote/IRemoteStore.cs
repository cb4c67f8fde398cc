using OrasAssemble.Content;

namespace OrasAssemble.Registry.Remote;

/// <summary>One of a repository's two content stores: its blobs, or its manifests.</summary>
internal interface IRemoteStore : IStorage, IDeletable;
