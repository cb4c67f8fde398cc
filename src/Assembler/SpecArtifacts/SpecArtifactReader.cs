using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Text;

namespace OrasAssemble.SpecArtifacts;

/// <summary>
/// The one reader of spec artifacts: whether a manifest is one, its one spec layer (at most <see cref="SpecLimits.MaxBytes"/>,
/// verified against its digest), the spec in it (validated as a spec file is), and the summary its annotations give.
/// Every problem is a <see cref="NotASpecArtifactException"/> or an <see cref="InvalidSpecException"/>.
/// </summary>
public static class SpecArtifactReader
{
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
        RequireManifest(descriptor, origin);
        var bytes = await store.FetchAllAsync(descriptor, OciLimits.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        var manifest = ReadManifest(descriptor, bytes, origin);
        return await ReadAsync(store, descriptor, manifest, bytes, origin, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The manifest of a spec artifact, from what a reference resolved to and its bytes (already verified).</summary>
    /// <exception cref="NotASpecArtifactException">It is an index, not a manifest, or a manifest of another artifact type.</exception>
    public static Manifest ReadManifest(Descriptor descriptor, byte[] bytes, string origin)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        RequireManifest(descriptor, origin);
        var manifest = OciJson.Deserialize<Manifest>(bytes, $"the manifest {descriptor.Digest}");
        RequireSpecArtifact(manifest, origin);
        return manifest;
    }

    /// <summary>Reads the spec of a manifest already fetched (e.g. after <see cref="IsSpecArtifact"/> said yes).</summary>
    /// <exception cref="NotASpecArtifactException">The manifest is not a spec artifact, or its spec layer is missing, doubled or too large.</exception>
    /// <exception cref="InvalidSpecException">The spec layer does not hold a valid spec.</exception>
    public static async Task<SpecArtifactContent> ReadAsync(
        IFetchable store, Descriptor descriptor, Manifest manifest, byte[] manifestBytes, string origin, CancellationToken cancellationToken = default)
    {
        var (layer, json, spec) = await ReadLayerAsync(store, manifest, origin, null, cancellationToken).ConfigureAwait(false);
        return new SpecArtifactContent(spec, descriptor, manifest, manifestBytes, layer, json);
    }

    /// <summary>The spec a spec artifact's manifest holds, read from its layer.</summary>
    /// <exception cref="NotASpecArtifactException">The manifest is not a spec artifact, or its spec layer is missing, doubled or too large.</exception>
    /// <exception cref="InvalidSpecException">The spec layer does not hold a valid spec.</exception>
    public static async Task<ValidSpec> ReadSpecAsync(IFetchable store, Manifest manifest, string origin, CancellationToken cancellationToken = default) =>
        (await ReadLayerAsync(store, manifest, origin, null, cancellationToken).ConfigureAwait(false)).Spec;

    /// <summary>As <see cref="ReadSpecAsync(IFetchable, Manifest, string, CancellationToken)"/>, for a host that reads the same specs again.</summary>
    /// <param name="parsed">Specs already read, by layer digest: a layer whose spec is there is fetched but not parsed again.</param>
    public static async Task<ValidSpec> ReadSpecAsync(
        IFetchable store, Manifest manifest, string origin, ParsedSpecs parsed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return (await ReadLayerAsync(store, manifest, origin, parsed, cancellationToken).ConfigureAwait(false)).Spec;
    }

    /// <summary>
    /// The base image and mount path a spec artifact's manifest annotations give; the spec layer is read only when they do
    /// not say both (a spec pushed by an older or other tool), and then says the rest.
    /// </summary>
    /// <exception cref="NotASpecArtifactException">
    /// The manifest is not a spec artifact, its base annotation is not pinned by digest, its mount path annotation is not
    /// a usable tree path, or (when it is read) its spec layer is missing, doubled or too large.
    /// </exception>
    /// <exception cref="InvalidSpecException">The spec layer, when it is read, does not hold a valid spec.</exception>
    public static async Task<SpecArtifactSummary> ReadSummaryAsync(IFetchable store, Manifest manifest, string origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        RequireSpecArtifact(manifest, origin);
        string? baseImage = null;
        string? mountPath = null;
        manifest.Annotations?.TryGetValue(SpecArtifact.BaseAnnotation, out baseImage);
        manifest.Annotations?.TryGetValue(SpecArtifact.MountPathAnnotation, out mountPath);
        if (baseImage is not null && (!Reference.TryParse(baseImage, out var pinned) || pinned.Digest is null))
        {
            throw new NotASpecArtifactException(origin,
                $"its {SpecArtifact.BaseAnnotation} annotation {QuotedValue.Of(baseImage)} is not an image reference pinned by digest");
        }

        if (mountPath is not null && SpecPath.TreePathProblem(mountPath) is { } problem)
        {
            throw new NotASpecArtifactException(origin, $"its mount path is unusable: {problem}");
        }

        if (baseImage is null || mountPath is null)
        {
            var spec = await ReadSpecAsync(store, manifest, origin, cancellationToken).ConfigureAwait(false);
            baseImage ??= spec.Model.Base?.Image;
            mountPath ??= spec.Model.Mount?.Path;
        }

        return new SpecArtifactSummary(baseImage, mountPath);
    }

    private static void RequireManifest(Descriptor descriptor, string origin)
    {
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            throw new NotASpecArtifactException(origin, $"this is an image index ({descriptor.MediaType}), not an assembly spec");
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new NotASpecArtifactException(origin, $"this is a {descriptor.MediaType}, not an assembly spec");
        }
    }

    private static void RequireSpecArtifact(Manifest manifest, string origin)
    {
        if (!IsSpecArtifact(manifest))
        {
            var type = manifest.ArtifactType is { } artifactType
                ? $"its artifact type is {artifactType}"
                : $"it has no artifact type (its config is {manifest.Config.MediaType})";
            throw new NotASpecArtifactException(origin, $"this is not an assembly spec: {type}, not {SpecArtifact.ArtifactType}");
        }
    }

    private static async Task<(Descriptor Layer, byte[] Json, ValidSpec Spec)> ReadLayerAsync(
        IFetchable store, Manifest manifest, string origin, ParsedSpecs? parsed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        RequireSpecArtifact(manifest, origin);
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
        var spec = parsed is null
            ? SpecJson.Deserialize(json, origin)
            : parsed.GetOrParse(layer.Digest, () => SpecJson.Deserialize(json, origin));
        return (layer, json, spec);
    }
}
