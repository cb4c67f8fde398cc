using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Execution;

/// <summary>
/// What a reference asks to assemble: the spec of a spec artifact, or for any other artifact or image the spec that
/// extracts it whole, pinned to the manifest the reference resolved to. The manifest is kept in the cache's blob
/// store (verified against its digest like any blob), so a read remembered by the caller needs no registry request.
/// </summary>
internal sealed class ReferenceReader(TreeCache cache, ParsedSpecs parsed)
{
    /// <summary>
    /// The name of a reference's pin. References read from a registry are pinned by the reference alone, the name the
    /// node plugin has always used (so pins written by earlier versions stay valid); elsewhere the place is part of it.
    /// </summary>
    public static string PinName(ITargetLocator locator, Reference reference) =>
        locator is RegistryTargetLocator ? reference.ToString() : $"{locator.Identity}\n{reference}";

    public async Task<(ValidSpec Spec, Descriptor Manifest)> ReadAsync(AssemblyRequest request, Reference reference, CancellationToken cancellationToken)
    {
        var located = request.Locator.Locate(reference);
        var pinName = PinName(request.Locator, reference);
        var (descriptor, bytes, asked) = await ReadManifestAsync(request, reference, located, pinName, cancellationToken).ConfigureAwait(false);
        if (asked)
        {
            // Only a read the registry answered is worth remembering; using a remembered one does not prolong it.
            request.RememberedReads?.Record(reference, descriptor);
        }

        if (MediaTypes.IsManifest(descriptor.MediaType)
            && OciJson.Deserialize<Manifest>(bytes, $"the manifest of {reference}") is var manifest && SpecArtifactReader.IsSpecArtifact(manifest))
        {
            var spec = await SpecArtifactReader.ReadSpecAsync(new CachedBlobSource(cache, located.Target), manifest, reference.ToString(), parsed, cancellationToken)
                .ConfigureAwait(false);
            return (spec, descriptor);
        }

        // Pinned to what was just resolved, so the tree changes exactly when the artifact does.
        return (WholeArtifactSpec.Create(reference.WithDigest(descriptor.Digest), request.MediaTypes), descriptor);
    }

    /// <summary>
    /// The manifest a reference names and its bytes. A read the caller remembers stands in for the registry (<c>Asked</c>
    /// is false) when the reference is a digest, or a tag whose pin still names the manifest remembered.
    /// </summary>
    private async Task<(Descriptor Descriptor, byte[] Bytes, bool Asked)> ReadManifestAsync(
        AssemblyRequest request, Reference reference, LocatedTarget located, string pinName, CancellationToken cancellationToken)
    {
        string path;
        if (request.RememberedReads?.Find(reference) is { } known
            && (reference.Digest is not null || (cache.Pins.Find(pinName) is { } pinned && pinned.Digest == known.Digest)))
        {
            path = await cache.EnsureBlobAsync(known, ct => located.Target.FetchAsync(known, ct), cancellationToken).ConfigureAwait(false);
            return (known, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), false);
        }

        var (descriptor, content) = await FetchManifestAsync(request, reference, located, pinName, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            path = await cache.EnsureBlobAsync(descriptor, _ => Task.FromResult(content), cancellationToken).ConfigureAwait(false);
        }

        return (descriptor, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), true);
    }

    /// <summary>
    /// The manifest a reference names. With <c>IfNotPresent</c> a tag keeps naming what it named when it was last
    /// assembled, while the tree that gave is cached. The tag itself is resolved first, so a caller whose credentials may
    /// not read it is refused naming the tag alone: what the cache pinned it to is nothing that caller could have learnt
    /// from the registry.
    /// </summary>
    private async Task<(Descriptor Descriptor, Stream Content)> FetchManifestAsync(
        AssemblyRequest request, Reference reference, LocatedTarget located, string pinName, CancellationToken cancellationToken)
    {
        if (reference.Digest is null && request.Options.PullPolicy == PullPolicy.IfNotPresent && cache.Pins.Find(pinName) is { Digest: { } digest })
        {
            await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
            try
            {
                return await FetchAsync(request.Locator.Locate(reference.WithDigest(digest)), cancellationToken).ConfigureAwait(false);
            }
            catch (NotFoundException)
            {
                // Deleted upstream since: follow the tag to what it names now.
            }
        }

        return await FetchAsync(located, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves and fetches, in one request where the target can (a registry, which bounds what it reads).</summary>
    private static async Task<(Descriptor Descriptor, Stream Content)> FetchAsync(LocatedTarget located, CancellationToken cancellationToken)
    {
        if (located.Target is IReferenceFetchable oneTrip)
        {
            return await oneTrip.FetchAsync(located.Reference, cancellationToken).ConfigureAwait(false);
        }

        var descriptor = await located.Target.ResolveAsync(located.Reference, cancellationToken).ConfigureAwait(false);
        var bytes = await located.Target.FetchAllAsync(descriptor, OciLimits.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        return (descriptor, new MemoryStream(bytes, writable: false));
    }
}
