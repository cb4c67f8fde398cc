using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Execution;

/// <summary>
/// Resolves a reference to the one image or artifact manifest a source reads: a tag or digest to its descriptor,
/// and an index to the manifest for a platform. Entries of an index that are not images for a real platform
/// (attestations, <c>unknown/unknown</c>) are never chosen.
/// </summary>
public static class ManifestResolver
{
    /// <param name="located">Where to resolve, and what.</param>
    /// <param name="name">How messages name the reference, e.g. as the spec wrote it.</param>
    /// <param name="platform">Which manifest to take when the reference names an index.</param>
    /// <param name="maxManifestBytes">The largest index or manifest read.</param>
    /// <exception cref="PlatformNotFoundException">The index has no manifest for the platform.</exception>
    /// <exception cref="InvalidDataException">What the reference names is not an image or artifact manifest, or not valid JSON.</exception>
    public static async Task<ResolvedManifest> ResolveAsync(
        LocatedTarget located, string name, Platform platform, long maxManifestBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(located);
        ArgumentNullException.ThrowIfNull(platform);
        var root = await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
        var descriptor = root;
        var bytes = await located.Target.FetchAllAsync(descriptor, maxManifestBytes, cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            descriptor = SelectPlatform(OciJson.Deserialize<Oci.Index>(bytes, $"the index {descriptor.Digest}"), platform);
            bytes = await located.Target.FetchAllAsync(descriptor, maxManifestBytes, cancellationToken).ConfigureAwait(false);
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new InvalidDataException($"{name} is a {descriptor.MediaType}, not an image or artifact manifest");
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"the manifest {descriptor.Digest}");
        return new ResolvedManifest(root, descriptor, manifest);
    }

    /// <summary>The entries of an index that are manifests for a real platform, the ones a platform may choose.</summary>
    public static IReadOnlyList<Descriptor> PlatformManifests(Oci.Index index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return index.Manifests.Where(m => m.Platform is { Os: not "unknown" } && MediaTypes.IsManifest(m.MediaType)).ToList();
    }

    /// <summary>The entry of an index for <paramref name="platform"/>, among <see cref="PlatformManifests"/>.</summary>
    /// <exception cref="PlatformNotFoundException">The index has no manifest for the platform.</exception>
    public static Descriptor SelectPlatform(Oci.Index index, Platform platform)
    {
        ArgumentNullException.ThrowIfNull(index);
        return (index with { Manifests = PlatformManifests(index) }).SelectPlatform(platform);
    }
}
