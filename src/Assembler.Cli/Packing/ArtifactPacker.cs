using System.Globalization;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Content;
using OrasAssemble.IO;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Packing;

/// <summary>
/// Pushes files and folders as an ORAS artifact: an OCI 1.1 image manifest with the empty config, the artifact type,
/// one layer per input and a creation time. Blobs go first, the manifest last, so the tag never names content that
/// is missing.
/// </summary>
internal sealed class ArtifactPacker(ITransferTracker progress, TimeProvider clock)
{
    /// <summary>ORAS's artifact type when the user names none.</summary>
    public const string DefaultArtifactType = "application/vnd.unknown.artifact.v1";

    private const int Concurrency = 3;

    public async Task<Descriptor> PackAsync(ArtifactTarget target, PackRequest request, CancellationToken cancellationToken)
    {
        var temp = Directory.CreateTempSubdirectory("oras-assemble-pack-");
        try
        {
            var preparer = new LayerPreparer(temp.FullName);
            var layers = new List<PreparedLayer>();
            foreach (var input in request.Inputs)
            {
                layers.Add(await preparer.PrepareAsync(input, cancellationToken).ConfigureAwait(false));
            }

            await target.Store.EnsureEmptyConfigAsync(cancellationToken).ConfigureAwait(false);
            await Parallel.ForEachAsync(layers, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
                async (layer, ct) => await PushLayerAsync(target.Store, layer, ct).ConfigureAwait(false)).ConfigureAwait(false);

            var manifest = new Manifest
            {
                ArtifactType = request.ArtifactType,
                Config = Descriptor.Empty,
                Layers = [.. layers.Select(l => l.Descriptor)],
                Annotations = ManifestAnnotations(request.Annotations),
            };
            return await target.Store.PushManifestAsync(MediaTypes.ImageManifest, OciJson.Serialize(manifest), target.Reference.PushTag, cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            TempTree.DeleteQuietly(temp.FullName);
        }
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

    private async Task PushLayerAsync(ITarget store, PreparedLayer layer, CancellationToken cancellationToken)
    {
        var descriptor = layer.Descriptor;
        if (await store.ExistsAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            progress.Skip(layer.Name, "Exists");
            return;
        }

        var transfer = progress.Start("Uploading", layer.Name, descriptor.Size);
        var file = new FileStream(layer.ContentPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            // The push verifies the bytes against the descriptor, so a file changed since it was hashed fails here.
            await store.PushAsync(descriptor, new ProgressStream(file, transfer, leaveOpen: true), cancellationToken).ConfigureAwait(false);
        }

        transfer.Complete("Uploaded");
    }
}
