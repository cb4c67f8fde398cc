using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Artifacts;

/// <summary>
/// Reads a spec artifact back: its manifest (which must carry the spec artifact type), its one spec layer (at most
/// <see cref="SpecLimits.MaxBytes"/>, verified against its digest), and the spec in it, validated as a spec file is.
/// </summary>
public static class SpecArtifactReader
{
    /// <summary>The largest manifest read while looking for a spec.</summary>
    public const long MaxManifestBytes = 4 * 1024 * 1024;

    /// <summary>Whether a manifest says it is a spec artifact; clients that also take other artifacts branch on this.</summary>
    public static bool IsSpecArtifact(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.ArtifactType == SpecArtifact.ArtifactType;
    }

    /// <summary>Resolves <paramref name="reference"/> in <paramref name="store"/> and reads the spec artifact it names.</summary>
    /// <param name="origin">How messages name the artifact, e.g. the reference as the user wrote it.</param>
    /// <exception cref="NotASpecArtifactException">The reference names something other than a spec artifact.</exception>
    /// <exception cref="InvalidSpecException">The spec layer does not hold a valid spec.</exception>
    public static async Task<SpecArtifactContent> ReadAsync(IReadOnlyTarget store, string reference, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var descriptor = await store.ResolveAsync(reference, cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            throw new NotASpecArtifactException(origin, $"this is an image index ({descriptor.MediaType}), not an assembly spec");
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new NotASpecArtifactException(origin, $"this is a {descriptor.MediaType}, not an assembly spec");
        }

        var bytes = await store.FetchAllAsync(descriptor, MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        var manifest = OciJson.Deserialize<Manifest>(bytes, $"the manifest {descriptor.Digest}");
        return await ReadAsync(store, descriptor, manifest, bytes, origin, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the spec of a manifest already fetched (e.g. after <see cref="IsSpecArtifact"/> said yes).</summary>
    /// <exception cref="NotASpecArtifactException">The manifest is not a spec artifact, or its spec layer is missing, doubled or too large.</exception>
    /// <exception cref="InvalidSpecException">The spec layer does not hold a valid spec.</exception>
    public static async Task<SpecArtifactContent> ReadAsync(
        IFetchable store, Descriptor descriptor, Manifest manifest, byte[] manifestBytes, string origin, CancellationToken cancellationToken = default)
    {
        var (layer, json, spec) = await ReadLayerAsync(store, manifest, origin, cancellationToken).ConfigureAwait(false);
        return new SpecArtifactContent(spec, descriptor, manifest, manifestBytes, layer, json);
    }

    /// <summary>The spec a spec artifact's manifest holds, read from its layer.</summary>
    /// <exception cref="NotASpecArtifactException">The manifest is not a spec artifact, or its spec layer is missing, doubled or too large.</exception>
    /// <exception cref="InvalidSpecException">The spec layer does not hold a valid spec.</exception>
    public static async Task<ValidSpec> ReadSpecAsync(IFetchable store, Manifest manifest, string origin, CancellationToken cancellationToken = default) =>
        (await ReadLayerAsync(store, manifest, origin, cancellationToken).ConfigureAwait(false)).Spec;

    private static async Task<(Descriptor Layer, byte[] Json, ValidSpec Spec)> ReadLayerAsync(
        IFetchable store, Manifest manifest, string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        if (!IsSpecArtifact(manifest))
        {
            var type = manifest.ArtifactType is { } artifactType
                ? $"its artifact type is {artifactType}"
                : $"it has no artifact type (its config is {manifest.Config.MediaType})";
            throw new NotASpecArtifactException(origin, $"this is not an assembly spec: {type}, not {SpecArtifact.ArtifactType}");
        }

        var layers = manifest.Layers.Where(l => l.MediaType == SpecArtifact.LayerMediaType).ToList();
        if (layers.Count != 1)
        {
            throw new NotASpecArtifactException(origin,
                $"an assembly spec has exactly one layer of type {SpecArtifact.LayerMediaType}; this one has {layers.Count}");
        }

        var layer = layers[0];
        if (layer.Size > SpecLimits.MaxBytes)
        {
            throw new NotASpecArtifactException(origin, $"the spec layer is {layer.Size} bytes; the limit is {SpecLimits.MaxBytes}");
        }

        var json = await store.FetchAllAsync(layer, SpecLimits.MaxBytes, cancellationToken).ConfigureAwait(false);
        return (layer, json, SpecJson.Deserialize(json, origin));
    }
}
