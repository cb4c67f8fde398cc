using System.Globalization;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Packing;

/// <summary>
/// Pushes prepared layers as an ORAS artifact: an OCI 1.1 image manifest with the empty config, the artifact type,
/// the layers in order and a creation time. Blobs go first, the manifest last, so the tag never names content that
/// is missing.
/// </summary>
public sealed class ArtifactPusher(TimeProvider clock)
{
    /// <summary>ORAS's artifact type when the user names none.</summary>
    public const string DefaultArtifactType = "application/vnd.unknown.artifact.v1";

    private const int Concurrency = 3;

    /// <returns>The descriptor of the pushed manifest.</returns>
    public async Task<Descriptor> PushAsync(
        ITarget store, IReadOnlyList<PreparedLayer> layers, string artifactType, IReadOnlyDictionary<string, string> annotations, string? tag,
        IUploadObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layers);
        await store.EnsureEmptyConfigAsync(cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(layers, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (layer, ct) => await PushLayerAsync(store, layer, observer, ct).ConfigureAwait(false)).ConfigureAwait(false);

        var manifest = new Manifest
        {
            ArtifactType = artifactType,
            Config = Descriptor.Empty,
            Layers = [.. layers.Select(l => l.Descriptor)],
            Annotations = ManifestAnnotations(annotations),
        };
        return await store.PushManifestAsync(MediaTypes.ImageManifest, OciJson.Serialize(manifest), tag, cancellationToken).ConfigureAwait(false);
    }

    private SortedDictionary<string, string> ManifestAnnotations(IReadOnlyDictionary<string, string> given)
    {
        // Sorted like Go's encoding of a map, so the manifest bytes match what oras writes for the same content.
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in given)
        {
            annotations[key] = value;
        }

        if (!annotations.ContainsKey(Annotations.Created))
        {
            annotations[Annotations.Created] = clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        return annotations;
    }

    private static async Task PushLayerAsync(ITarget store, PreparedLayer layer, IUploadObserver? observer, CancellationToken cancellationToken)
    {
        var descriptor = layer.Descriptor;
        if (await store.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            observer?.Exists(layer);
            return;
        }

        var file = new FileStream(layer.ContentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            // The push verifies the bytes against the descriptor, so a file changed since it was hashed fails here.
            await store.PushAsync(descriptor, observer?.Uploading(layer, file) ?? file, cancellationToken).ConfigureAwait(false);
        }

        observer?.Uploaded(layer);
    }
}
