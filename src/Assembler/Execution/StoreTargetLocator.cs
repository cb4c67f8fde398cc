using OrasAssemble.Content;
using OrasAssemble.Registry;

namespace OrasAssemble.Execution;

/// <summary>
/// Every reference is read from one local store, such as the OCI image layout that is the embedded default: a
/// tagged reference is looked up by its full normalised name (<c>registry.example/apps/app:1.0</c>) as the store's
/// tag, a digest as is. The same spec thus works against registries and offline.
/// </summary>
/// <param name="identity">Names the store for cache bookkeeping, e.g. the layout's directory.</param>
public sealed class StoreTargetLocator(IReadOnlyTarget store, string identity) : ITargetLocator
{
    public string Identity => "store:" + identity;

    public LocatedTarget Locate(Reference reference) => new(store, TagFor(reference));

    /// <summary>The store tag (or digest) that stands for <paramref name="reference"/>.</summary>
    public static string TagFor(Reference reference) => reference.Digest ?? reference.ToString();
}
