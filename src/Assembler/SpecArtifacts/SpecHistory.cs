using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// The lineage of a spec artifact. Each revision made by a rebase names the one it was made from in <c>subject</c>, so
/// walking <c>subject</c> back from a revision gives its history without any registry support; the revisions made
/// from a given one are its referrers.
/// </summary>
public static class SpecHistory
{
    /// <summary>
    /// <paramref name="start"/> and then every revision it descends from, newest first. The walk stops at a revision
    /// without <c>subject</c>, or at a predecessor that is no longer in the store or is not a spec artifact (the lineage
    /// then says which and why).
    /// </summary>
    public static async Task<SpecLineage> WalkAsync(IReadOnlyTarget store, SpecArtifactContent start, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(start);
        var revisions = new List<SpecRevision> { await DescribeAsync(store, start.ManifestDescriptor, start.Manifest, origin, cancellationToken).ConfigureAwait(false) };
        var seen = new HashSet<string>(StringComparer.Ordinal) { start.ManifestDescriptor.Digest };
        // Content addressing makes a cycle impossible unless a store lies; the set keeps a lying store from looping us.
        while (revisions[^1].Subject is { } subject && seen.Add(subject.Digest))
        {
            var (manifest, problem) = await TryFetchAsync(store, subject, cancellationToken).ConfigureAwait(false);
            if (manifest is null)
            {
                return new SpecLineage(revisions, new SpecLineageEnd(subject, problem!));
            }

            revisions.Add(await DescribeAsync(store, subject, manifest, origin, cancellationToken).ConfigureAwait(false));
        }

        return new SpecLineage(revisions, null);
    }

    /// <summary>
    /// The revisions made directly from <paramref name="revision"/> (rebases of it), newest first, through the referrers
    /// API or its tag fallback. The listing's annotations are enough: no manifest is fetched.
    /// </summary>
    public static async Task<IReadOnlyList<SpecRevision>> SuccessorsAsync(
        IReferrerLister store, Descriptor revision, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(revision);
        var result = new List<SpecRevision>();
        await foreach (var referrer in store.FetchReferrersAsync(revision.Basic(), SpecArtifact.ArtifactType, cancellationToken).ConfigureAwait(false))
        {
            result.Add(new SpecRevision(referrer.Basic(), Annotation(referrer.Annotations, SpecArtifact.BaseAnnotation),
                Annotation(referrer.Annotations, Annotations.Created), revision.Basic()));
        }

        // RFC 3339 UTC timestamps of one form sort by time as text; the digest breaks ties so output is stable.
        return result.OrderByDescending(r => r.Created, StringComparer.Ordinal).ThenBy(r => r.Descriptor.Digest, StringComparer.Ordinal).ToList();
    }

    private static async Task<SpecRevision> DescribeAsync(IFetchable store, Descriptor descriptor, Manifest manifest, string origin, CancellationToken cancellationToken)
    {
        var baseImage = Annotation(manifest.Annotations, SpecArtifact.BaseAnnotation);
        if (baseImage is null)
        {
            // Pushed with --no-pin-base (or by another tool): the spec itself still says which base it meant.
            baseImage = (await SpecArtifactReader.ReadSpecAsync(store, manifest, origin, cancellationToken).ConfigureAwait(false)).Model.Base?.Image;
        }

        return new SpecRevision(descriptor.Basic(), baseImage, Annotation(manifest.Annotations, Annotations.Created), manifest.Subject?.Basic());
    }

    private static async Task<(Manifest? Manifest, string? Problem)> TryFetchAsync(IReadOnlyTarget store, Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            return (null, $"it is a {descriptor.MediaType}, not a spec artifact");
        }

        if (!await store.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            return (null, "it is no longer in the repository");
        }

        var manifest = await FetchManifestAsync(store, descriptor, cancellationToken).ConfigureAwait(false);
        return SpecArtifactReader.IsSpecArtifact(manifest)
            ? (manifest, null)
            : (null, $"it is not a spec artifact (artifact type {manifest.ArtifactType ?? "none"})");
    }

    private static async Task<Manifest> FetchManifestAsync(IFetchable store, Descriptor descriptor, CancellationToken cancellationToken)
    {
        var bytes = await store.FetchAllAsync(descriptor, OciLimits.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        return OciJson.Deserialize<Manifest>(bytes, $"the manifest {descriptor.Digest}");
    }

    private static string? Annotation(IReadOnlyDictionary<string, string>? annotations, string key) =>
        annotations is not null && annotations.TryGetValue(key, out var value) ? value : null;
}
