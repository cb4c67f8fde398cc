using System.Globalization;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Text;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// Makes the spec artifact of spec/assembly-spec.md ("The spec artifact"): an OCI 1.1 image manifest with the spec
/// artifact type, the empty config, one layer of canonical JSON titled <c>assembly.json</c>, and annotations that
/// summarise the spec (base pinned by digest, mount path, title, creation time).
/// </summary>
public static class SpecArtifactBuilder
{
    /// <param name="spec">A valid spec; it is validated again, since a pushed spec must be readable by every client.</param>
    /// <param name="pinnedBase">
    /// The spec's base image pinned by digest (<c>registry/repository[:tag]@sha256:…</c>), which
    /// <see cref="SpecPinner.PinBaseAsync"/> resolves; null when the spec has no base, or when the base is not
    /// reachable from where the spec is pushed (a local store without the image): the artifact then carries no
    /// base annotation, and a client that needs the pinned base resolves <c>base.image</c> from the spec itself.
    /// </param>
    /// <param name="created">The push time, written in UTC to the second.</param>
    /// <param name="subject">The revision this one was made from, for a rebase; null otherwise.</param>
    /// <exception cref="InvalidSpecException">The spec is not valid.</exception>
    /// <exception cref="ArgumentException"><paramref name="pinnedBase"/> is unexpected or not pinned by digest.</exception>
    public static SpecArtifactContent Build(AssemblySpec spec, string? pinnedBase, DateTimeOffset created, Descriptor? subject = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var valid = SpecValidator.Require(spec);

        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [Annotations.Title] = spec.Metadata.Name,
            [Annotations.Created] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (spec.Base is not null && pinnedBase is not null)
        {
            if (!Reference.TryParse(pinnedBase, out var pinned) || pinned.Digest is null)
            {
                throw new ArgumentException($"the base image must be given pinned by digest (registry/repository[:tag]@sha256:…), not {QuotedValue.Of(pinnedBase)}", nameof(pinnedBase));
            }

            annotations[SpecArtifact.BaseAnnotation] = pinned.ToString();
        }
        else if (pinnedBase is not null)
        {
            throw new ArgumentException("the spec has no base, so there is no base to pin", nameof(pinnedBase));
        }

        if (spec.Mount is { } mount)
        {
            annotations[SpecArtifact.MountPathAnnotation] = mount.Path;
        }

        var layerBytes = valid.Json.ToArray();
        var layer = Descriptor.Create(layerBytes, SpecArtifact.LayerMediaType) with
        {
            Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [Annotations.Title] = SpecArtifact.LayerTitle },
        };
        var manifest = new Manifest
        {
            ArtifactType = SpecArtifact.ArtifactType,
            Config = Descriptor.Empty,
            Layers = [layer],
            Subject = subject?.Basic(),
            Annotations = annotations,
        };
        var manifestBytes = OciJson.Serialize(manifest);
        return new SpecArtifactContent(valid, Descriptor.Create(manifestBytes, MediaTypes.ImageManifest), manifest, manifestBytes, layer, layerBytes);
    }

    /// <summary>
    /// Pushes the config and the layer (unless the store has them), then the manifest, tagged <paramref name="tag"/>
    /// when one is given. The manifest goes last, so the tag never names a spec whose layer is missing.
    /// </summary>
    public static async Task<Descriptor> PushAsync(ITarget store, SpecArtifactContent artifact, string? tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(artifact);
        await store.EnsureEmptyConfigAsync(cancellationToken).ConfigureAwait(false);
        if (!await store.ExistsAsync(artifact.Layer, cancellationToken).ConfigureAwait(false))
        {
            using var layer = new MemoryStream(artifact.LayerBytes, writable: false);
            await store.PushAsync(artifact.Layer, layer, cancellationToken).ConfigureAwait(false);
        }

        return await store.PushManifestAsync(MediaTypes.ImageManifest, artifact.ManifestBytes, tag, cancellationToken).ConfigureAwait(false);
    }
}
