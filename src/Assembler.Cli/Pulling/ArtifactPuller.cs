using OrasAssemble.Cli.Paths;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.IO;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Text;

namespace OrasAssemble.Cli.Pulling;

/// <summary>
/// Pulls an artifact as ORAS does: each titled layer becomes a file of that name under the output folder, and a
/// layer marked for unpacking becomes a folder. Layers are written by the library's <see cref="ArtifactLayerWriter"/>,
/// the same safe writer the executor uses (titles and tar entries kept inside, size limits, the unpacked tar's
/// digest checked). Every title is checked before anything is downloaded; each layer is written into a staging
/// directory and moved into place only once its bytes are verified, so a failed pull leaves no partial file.
/// </summary>
internal sealed class ArtifactPuller(ITransferTracker progress)
{
    private const int Concurrency = 3;
    private const string TempPrefix = ".oras-assemble-";

    private readonly ArtifactLayerWriter writer = new();

    /// <param name="platform">Which manifest to take when the reference names an index; an index needs one.</param>
    /// <exception cref="UsageException">The reference names an index and no platform was given.</exception>
    /// <exception cref="PlatformNotFoundException">The index has no manifest for the platform.</exception>
    public async Task<(Descriptor Manifest, IReadOnlyList<PulledLayer> Layers)> PullAsync(
        ArtifactTarget target, string outputDirectory, Platform? platform, CancellationToken cancellationToken)
    {
        var (descriptor, bytes) = await ManifestReader.FetchAsync(target, cancellationToken).ConfigureAwait(false);
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            var index = OciJson.Deserialize<Oci.Index>(bytes, $"index {descriptor.Digest}");
            if (platform is null)
            {
                var offered = ManifestResolver.PlatformManifests(index).Select(m => m.Platform!.ToString()).Distinct(StringComparer.Ordinal).ToList();
                throw new UsageException(offered.Count == 0
                    ? $"{target.Reference} is an image index with no manifest for any platform: pull one of its manifests by digest"
                    : $"{target.Reference} is an image index: choose one of its platforms with --platform ({string.Join(", ", offered)})");
            }

            descriptor = ManifestResolver.SelectPlatform(index, platform);
            bytes = await target.Store.FetchAllAsync(descriptor, OciLimits.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        }

        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new NotSupportedException($"{target.Reference} is {descriptor.MediaType}, which pull does not read (it takes an OCI or Docker image manifest)");
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"manifest {descriptor.Digest}");
        var plan = Plan(manifest.Layers);
        var root = Path.GetFullPath(outputDirectory);
        if (File.Exists(root))
        {
            throw new UsageException($"output {outputDirectory} is a file, not a folder");
        }

        Directory.CreateDirectory(root);
        await Parallel.ForEachAsync(plan.Where(p => p.Path is not null), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (layer, ct) => await PullLayerAsync(target.Store, root, layer, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return (descriptor, plan.Select(p => p.Result).ToList());
    }

    /// <summary>Checks every title up front, so a hostile layer stops the pull before any byte is written.</summary>
    private List<PlannedLayer> Plan(IReadOnlyList<Descriptor> layers)
    {
        var plan = new List<PlannedLayer>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            string[]? path = null;
            if (layer.Title is { } title)
            {
                try
                {
                    path = writer.TitlePath(layer);
                }
                catch (LayerException refused)
                {
                    throw new UnsafeContentException($"layer {layer.Digest} is refused: {refused.Reason}", refused);
                }

                var normal = string.Join('/', path);
                foreach (var (other, otherTitle) in seen)
                {
                    if (other == normal || normal.StartsWith(other + "/", StringComparison.Ordinal) || other.StartsWith(normal + "/", StringComparison.Ordinal))
                    {
                        throw new UnsafeContentException($"layers titled {QuotedValue.Of(otherTitle)} and {QuotedValue.Of(title)} would be written to the same place");
                    }
                }

                seen[normal] = title;
            }

            var unpacked = ArtifactLayerWriter.IsPackedDirectory(layer);
            plan.Add(new PlannedLayer(layer, path, new PulledLayer(layer.Digest, layer.MediaType, path is null ? null : string.Join('/', path), unpacked)));
        }

        return plan;
    }

    private async Task PullLayerAsync(ITarget store, string root, PlannedLayer layer, CancellationToken cancellationToken)
    {
        var title = layer.Result.Title!;
        var relative = Path.Combine(layer.Path!);
        if (SafePaths.LinkOnPath(root, relative) is { } link)
        {
            throw new UnsafeContentException($"layer {QuotedValue.Of(title)} is refused: {link} is a symbolic link, and nothing is written through links");
        }

        var destination = Path.Combine(root, relative);
        var staging = Path.Combine(root, TempPrefix + Guid.NewGuid().ToString("N") + ".tmp");
        var transfer = progress.Start("Downloading", layer.Result.Unpacked ? title + "/" : title, layer.Descriptor.Size);
        Directory.CreateDirectory(staging);
        try
        {
            var content = await store.FetchAsync(layer.Descriptor, cancellationToken).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                var counted = new ProgressStream(content, transfer, leaveOpen: true);
                await writer.WriteAsync(layer.Descriptor, counted, staging, cancellationToken).ConfigureAwait(false);

                // Reading to the end is what makes the store's stream check the layer's own size and digest.
                await counted.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            Publish(Path.Combine(staging, relative), destination, root, layer.Result.Unpacked);
        }
        catch (LayerException e)
        {
            // The library names the layer by digest; people know it by its title.
            var entry = e.EntryName is null ? "" : $", entry {QuotedValue.Of(e.EntryName)}";
            throw new UnsafeContentException($"layer {QuotedValue.Of(title)} ({layer.Descriptor.Digest}){entry}: {e.Reason}", e);
        }
        catch (ContentVerificationException e)
        {
            throw new ContentVerificationException($"layer {QuotedValue.Of(title)} ({layer.Descriptor.Digest}): {e.Message}");
        }
        finally
        {
            TempTree.DeleteQuietly(staging);
        }

        transfer.Complete("Downloaded");
    }

    /// <summary>Moves a written file or unpacked folder into place, replacing what was there only once the new one is complete.</summary>
    private static void Publish(string written, string destination, string root, bool folder)
    {
        var info = new FileInfo(destination);
        var isFolder = info.LinkTarget is null && Directory.Exists(destination);
        if (!folder)
        {
            if (isFolder)
            {
                throw new UnsafeContentException($"{destination} is a folder; a file layer will not replace it");
            }

            File.Move(written, destination, overwrite: true);
            return;
        }

        if (info.LinkTarget is null && !info.Exists && !isFolder)
        {
            Directory.Move(written, destination);
            return;
        }

        var old = Path.Combine(root, TempPrefix + Guid.NewGuid().ToString("N") + ".old");
        if (isFolder)
        {
            Directory.Move(destination, old);
        }
        else
        {
            File.Move(destination, old);
        }

        Directory.Move(written, destination);
        TempTree.DeleteQuietly(old);
    }

    /// <param name="Path">The components of the layer's title; null for a layer without one, which is skipped.</param>
    private sealed record PlannedLayer(Descriptor Descriptor, string[]? Path, PulledLayer Result);
}
