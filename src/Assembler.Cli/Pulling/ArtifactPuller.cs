using System.IO.Compression;
using OrasAssemble.Cli.IO;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Pulling;

/// <summary>
/// Pulls an artifact as ORAS does: each titled layer becomes a file of that name under the output folder, and a
/// layer marked for unpacking becomes a folder. Every title is checked before anything is downloaded; every file
/// and folder is written under a temporary name and renamed into place only once its digests are verified.
/// </summary>
internal sealed class ArtifactPuller(ITransferTracker progress)
{
    private const int Concurrency = 3;
    private const string TempPrefix = ".oras-assemble-";

    public async Task<(Descriptor Manifest, IReadOnlyList<PulledLayer> Layers)> PullAsync(
        ArtifactTarget target, string outputDirectory, CancellationToken cancellationToken)
    {
        var (descriptor, bytes) = await ManifestReader.FetchAsync(target, cancellationToken).ConfigureAwait(false);
        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new NotSupportedException(MediaTypes.IsIndex(descriptor.MediaType)
                ? $"{target.Reference} is an image index, not an artifact: see its manifests with 'oras-assemble inspect' and pull one by digest"
                : $"{target.Reference} is {descriptor.MediaType}, which pull does not read (it takes an OCI or Docker image manifest)");
        }

        var manifest = OciJson.Deserialize<Manifest>(bytes, $"manifest {descriptor.Digest}");
        var plan = Plan(manifest.Layers);
        var root = Path.GetFullPath(outputDirectory);
        if (File.Exists(root))
        {
            throw new UsageException($"output {outputDirectory} is a file, not a folder");
        }

        Directory.CreateDirectory(root);
        await Parallel.ForEachAsync(plan.Where(p => p.Title is not null), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (layer, ct) => await PullLayerAsync(target.Store, root, layer, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return (descriptor, plan.Select(p => p.Result).ToList());
    }

    /// <summary>Checks every title up front, so a hostile layer stops the pull before any byte is written.</summary>
    private static List<PlannedLayer> Plan(IReadOnlyList<Descriptor> layers)
    {
        var plan = new List<PlannedLayer>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var title = layer.Title;
            var unpack = layer.Annotations?.GetValueOrDefault(Annotations.Unpack) == "true";
            if (title is not null)
            {
                if (SafePaths.RelativeNameProblem(title) is { } problem)
                {
                    throw new UnsafeContentException($"layer {layer.Digest} is refused: its title \"{title}\" is not a safe file name ({problem})");
                }

                var normal = string.Join('/', SafePaths.Components(title));
                foreach (var (other, otherTitle) in seen)
                {
                    if (other == normal || normal.StartsWith(other + "/", StringComparison.Ordinal) || other.StartsWith(normal + "/", StringComparison.Ordinal))
                    {
                        throw new UnsafeContentException($"layers titled \"{otherTitle}\" and \"{title}\" would be written to the same place");
                    }
                }

                seen[normal] = title;
                title = normal;
            }

            plan.Add(new PlannedLayer(layer, title, new PulledLayer(layer.Digest, layer.MediaType, title, unpack)));
        }

        return plan;
    }

    private async Task PullLayerAsync(ITarget store, string root, PlannedLayer layer, CancellationToken cancellationToken)
    {
        var title = layer.Title!;
        var relative = Path.Combine([.. SafePaths.Components(title)]);
        if (SafePaths.LinkOnPath(root, relative) is { } link)
        {
            throw new UnsafeContentException($"layer \"{title}\" is refused: {link} is a symbolic link, and nothing is written through links");
        }

        var destination = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var transfer = progress.Start("Downloading", layer.Result.Unpacked ? title + "/" : title, layer.Descriptor.Size);
        try
        {
            var content = await store.FetchAsync(layer.Descriptor, cancellationToken).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                var counted = new ProgressStream(content, transfer, leaveOpen: true);
                if (layer.Result.Unpacked)
                {
                    await UnpackAsync(counted, root, title, destination, layer.Descriptor, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await WriteFileAsync(counted, destination, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (ContentVerificationException e)
        {
            // The stream only knows digests; say which layer the bytes were for.
            throw new ContentVerificationException($"layer \"{title}\" ({layer.Descriptor.Digest}): {e.Message}");
        }

        transfer.Complete("Downloaded");
    }

    private static async Task WriteFileAsync(Stream content, string destination, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetDirectoryName(destination)!, TempPrefix + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                // The store's stream checks size and digest when it reaches the end, so a copy that completes is verified.
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            if (Directory.Exists(destination) && new FileInfo(destination).LinkTarget is null)
            {
                throw new UnsafeContentException($"{destination} is a folder; a file layer will not replace it");
            }

            File.Move(temp, destination, overwrite: true);
        }
        finally
        {
            TempTree.DeleteQuietly(temp);
        }
    }

    private static async Task UnpackAsync(Stream content, string root, string title, string destination, Descriptor layer, CancellationToken cancellationToken)
    {
        var expectedTar = layer.Annotations?.GetValueOrDefault(Annotations.UnpackDigest);
        if (expectedTar is not null && !Digest.IsValid(expectedTar))
        {
            throw new UnsafeContentException($"layer \"{title}\" is refused: its {Annotations.UnpackDigest} \"{expectedTar}\" is not a digest");
        }

        var staging = Path.Combine(root, TempPrefix + Guid.NewGuid().ToString("N") + ".tmp");
        Directory.CreateDirectory(staging);
        try
        {
            string tarDigest;
            var gzip = new GZipStream(content, CompressionMode.Decompress, leaveOpen: true);
            await using (gzip.ConfigureAwait(false))
            {
                var tar = new HashingStream(gzip, writing: false, leaveOpen: true);
                await using (tar.ConfigureAwait(false))
                {
                    await TarExtractor.ExtractAsync(tar, staging, title, cancellationToken).ConfigureAwait(false);

                    // The digest covers the whole tar, including the padding after its end marker.
                    await tar.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                    tarDigest = tar.Digest();
                }
            }

            // Reading the compressed stream to its end is what makes the store check the layer's own digest.
            await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            if (expectedTar is not null && !string.Equals(expectedTar, tarDigest, StringComparison.Ordinal))
            {
                throw new ContentVerificationException($"the tar inside has digest {tarDigest}, but its {Annotations.UnpackDigest} says {expectedTar}");
            }

            Publish(Path.Combine(staging, Path.Combine([.. SafePaths.Components(title)])), destination, root);
        }
        finally
        {
            TempTree.DeleteQuietly(staging);
        }
    }

    /// <summary>Moves an unpacked folder into place, replacing what was there only once the new one is complete.</summary>
    private static void Publish(string unpacked, string destination, string root)
    {
        var info = new FileInfo(destination);
        if (info.LinkTarget is null && !info.Exists && !Directory.Exists(destination))
        {
            Directory.Move(unpacked, destination);
            return;
        }

        var old = Path.Combine(root, TempPrefix + Guid.NewGuid().ToString("N") + ".old");
        if (info.LinkTarget is not null || info.Exists)
        {
            File.Move(destination, old);
        }
        else
        {
            Directory.Move(destination, old);
        }

        Directory.Move(unpacked, destination);
        TempTree.DeleteQuietly(old);
    }

    private sealed record PlannedLayer(Descriptor Descriptor, string? Title, PulledLayer Result);
}
