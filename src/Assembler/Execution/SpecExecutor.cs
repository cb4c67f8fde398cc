using System.Runtime.Versioning;
using System.Text;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Failures;
using OrasAssemble.IO;
using OrasAssemble.Layers;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Text;

namespace OrasAssemble.Execution;

/// <summary>
/// Turns a validated spec into a tree in the cache (the builder <see cref="TreeAssembler"/> calls): resolves every source (tag to digest, index to the platform's
/// manifest), keeps only the layers the source filters select, fetches each blob once with bounded parallelism,
/// reads sources into views, runs the steps, and publishes the tree atomically under a key derived from the spec
/// and the resolved digests. The same inputs always give the same tree, which is what makes the key safe to share.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class SpecExecutor
{
    /// <summary>Part of every tree key: a change to how trees are built must not reuse trees built the old way.</summary>
    public const string ExecutorVersion = "3";

    // A mirror that lied costs one attempt, as in the cache's own fetches; the bound is only a backstop.
    private const int MaxMirrorAttempts = 8;

    private readonly TreeCache _cache;
    private readonly ITargetLocator _locator;
    private readonly ExecutorOptions _options;

    public SpecExecutor(TreeCache cache, ITargetLocator locator, ExecutorOptions? options = null)
    {
        _cache = cache;
        _locator = locator;
        _options = options ?? new ExecutorOptions();
        _options.Limits.Validate();
    }

    public async Task<AssembledTree> AssembleAsync(ValidSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var specDigest = spec.Digest;
        var platform = _options.DefaultPlatform ?? Platform.Current;
        using var layouts = new LayoutSources(_options.LayoutBaseDirectory);
        var sources = await ResolveSourcesAsync(spec, platform, layouts, cancellationToken).ConfigureAwait(false);
        var key = TreeKey(specDigest, sources);
        var built = false;
        var outcome = new BuildOutcome(0, false, null);
        var path = await _cache.GetOrBuildTreeAsync(key, async (tree, ct) =>
        {
            built = true;
            outcome = await BuildAsync(spec, sources, tree, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        Report(built ? $"tree {key} built" : $"tree {key} is cached");
        return new AssembledTree(key, path, built ? TreeOrigin.Built : TreeOrigin.Cached, sources.Select(s => s.Summary()).ToList(), outcome.SkippedSpecialFiles, outcome.OwnersNotKept)
        {
            Entries = outcome.Entries,
        };
    }

    // ---- resolving ---------------------------------------------------------------------------------------------

    private async Task<IReadOnlyList<ResolvedSource>> ResolveSourcesAsync(ValidSpec spec, Platform defaultPlatform, LayoutSources layouts, CancellationToken cancellationToken)
    {
        var tasks = spec.Sources.Select(source =>
            ResolveSourceAsync(source, source.Platform ?? spec.BasePlatform ?? defaultPlatform, layouts, cancellationToken));
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task<ResolvedSource> ResolveSourceAsync(ValidSource source, Platform platform, LayoutSources layouts, CancellationToken cancellationToken)
    {
        var name = source.Name;
        var where = $"sources.{name}";
        try
        {
            LocatedTarget located;
            string shown;
            if (source.Layout is { } layout)
            {
                located = new LocatedTarget(await layouts.OpenAsync(where, layout, cancellationToken).ConfigureAwait(false), layout.ContentReference);
                shown = layout.ToString();
            }
            else
            {
                var reference = source.Reference!;
                located = _locator.Locate(reference);
                shown = reference.ToString();
            }

            var resolved = await ManifestResolver.ResolveAsync(located, source.Ref, platform, _options.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
            var (descriptor, manifest, isImage) = (resolved.Descriptor, resolved.Manifest, resolved.IsImage);
            if (manifest.ArtifactType == SpecArtifact.ArtifactType)
            {
                throw new AssemblyException(where, $"{source.Ref} is an assembly spec; specs do not nest");
            }

            var layers = resolved.LayersFor(source.Model);
            if (layers.Count == 0)
            {
                throw new AssemblyException(where, manifest.Layers.Count == 0
                    ? $"{source.Ref} has no layers"
                    : $"no layer of {source.Ref} passes the source's filters{(isImage ? "" : " and has a title")}");
            }

            if (!isImage && layers.GroupBy(l => l.Title, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new AssemblyException(where, $"two layers of {source.Ref} have the title {QuotedValue.Of(twice.Key)}");
            }

            Report($"{where}: {source.Ref} is {descriptor.Digest} ({(isImage ? "image" : "artifact")}, {layers.Count} layer(s))");
            return new ResolvedSource(name, shown, located, descriptor, isImage, layers);
        }
        catch (Exception e) when (Failure.IsAboutInput(e))
        {
            throw new AssemblyException(where, e.Message, e);
        }
    }

    private static string TreeKey(string specDigest, IReadOnlyList<ResolvedSource> sources)
    {
        var text = new StringBuilder($"tree\n{ExecutorVersion}\n{specDigest}\n");
        foreach (var source in sources.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            text.Append($"{source.Name} {source.Manifest.Digest} {string.Join(',', source.Layers.Select(l => l.Digest))}\n");
        }

        return Sha256Hex(text.ToString());
    }

    private static string Sha256Hex(string text) => Digest.Encoded(Digest.ComputeSha256(Encoding.UTF8.GetBytes(text)));

    // ---- building ----------------------------------------------------------------------------------------------

    /// <returns>How many device nodes and FIFOs the sources held that the tree leaves out, and whether owners were lost.</returns>
    private async Task<BuildOutcome> BuildAsync(ValidSpec spec, IReadOnlyList<ResolvedSource> sources, string tree, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BuildOnceAsync(spec, sources, tree, cancellationToken).ConfigureAwait(false);
            }
            catch (AssemblyException e) when (e.InnerException is MirrorContentException && attempt < MaxMirrorAttempts)
            {
                // A mirror sent wrong bytes, and what it sent may be in the tree already: start again, from the next
                // mirror or the registry (a lying mirror is passed over for that digest from then on).
                TempTree.DeleteQuietly(tree);
                Directory.CreateDirectory(tree);
            }
        }
    }

    /// <summary>
    /// Downloads the layers (at most <see cref="ExecutorOptions.Concurrency"/> at once, in the order they are applied)
    /// while it applies them: each layer is read from its temporary file in the cache as it grows, and counts as applied
    /// only once its download verified it. A blob the cache holds is read from there.
    /// </summary>
    private async Task<BuildOutcome> BuildOnceAsync(ValidSpec spec, IReadOnlyList<ResolvedSource> sources, string tree, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(_options.Concurrency);
        var downloads = new Dictionary<string, LayerDownload>(StringComparer.Ordinal);
        try
        {
            foreach (var (source, layer) in sources.SelectMany(s => s.Layers.Select(layer => (s, layer))))
            {
                if (!downloads.ContainsKey(layer.Digest))
                {
                    var growing = new GrowingBlob(layer, _options.StallTimeout);
                    downloads[layer.Digest] = new LayerDownload(growing, DownloadAsync(source, growing, gate, stop.Token));
                }
            }

            return await ApplyAsync(spec, sources, tree, downloads, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            stop.Cancel();
            throw;
        }
        finally
        {
            // A failed build leaves no download behind it writing into tmp/.
            foreach (var download in downloads.Values)
            {
                try
                {
                    await download.Path.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Only here after a failure that is on its way to the caller (a build that succeeded has awaited
                    // every download): a download's own failure, or its cancellation, is secondary to it.
                }

                download.Growing.Dispose();
            }
        }
    }

    private async Task<BuildOutcome> ApplyAsync(
        ValidSpec spec, IReadOnlyList<ResolvedSource> sources, string tree, IReadOnlyDictionary<string, LayerDownload> downloads, CancellationToken cancellationToken)
    {
        // Beside the tree being built and named after it, so its build lock guards both.
        var stage = tree + "-stage";
        Directory.CreateDirectory(stage);
        try
        {
            var limits = _options.Limits with { AllowSetuid = spec.AllowSetuid };
            var budget = TreeBudget.For(limits);
            var views = new Dictionary<string, string>(StringComparer.Ordinal);
            var owners = new Ownership(_options.MayChown);
            long skipped = 0;
            foreach (var source in sources)
            {
                var view = Path.Combine(stage, source.Name);
                Directory.CreateDirectory(view);
                var (left, notKept) = await ReadSourceAsync(source, view, limits, budget, downloads, cancellationToken).ConfigureAwait(false);
                if (left > 0)
                {
                    Report($"sources.{source.Name}: left out {left} device node(s) and FIFO(s)");
                }

                owners.Add(notKept);
                skipped += left;
                views[source.Name] = view;
            }

            new StepRunner(tree, views, spec.AllowSetuid, budget, owners).Run(spec.Steps, cancellationToken);
            if (owners.NotKept)
            {
                Report("owners were not kept: the tree's files belong to the user that assembled it (only root can give files to other users)");
            }

            return new BuildOutcome(skipped, owners.NotKept, TreeEntryCounts.Of(tree));
        }
        finally
        {
            Directory.Delete(stage, recursive: true);
        }
    }

    /// <summary>Fetches one layer into the cache's blobs once a download slot is free; a blob the cache holds takes none.</summary>
    private async Task<string> DownloadAsync(ResolvedSource source, GrowingBlob growing, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        var layer = growing.Descriptor;
        try
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var path = await _cache.StreamBlobAsync(growing, ct =>
                {
                    _options.Downloading?.Invoke(layer);
                    return source.Located.Target.FetchAsync(layer, ct);
                }, cancellationToken).ConfigureAwait(false);
                Report($"sources.{source.Name}: have {layer.Digest} ({layer.Size} bytes)");
                return path;
            }
            finally
            {
                gate.Release();
            }
        }
        catch (Exception e)
        {
            growing.Failed(e);
            if (e is MirrorContentException || Failure.IsAboutInput(e))
            {
                throw new AssemblyException($"sources.{source.Name}", $"fetching layer {layer.Digest}: {e.Message}", e);
            }

            throw;
        }
    }

    private async Task<(long Skipped, bool OwnersNotKept)> ReadSourceAsync(
        ResolvedSource source, string view, ExtractionLimits limits, TreeBudget budget, IReadOnlyDictionary<string, LayerDownload> downloads, CancellationToken cancellationToken)
    {
        if (source.IsImage && source.Layers.Count > 1)
        {
            var mark = budget.Mark();
            try
            {
                return await ReadImageAsync(source, view, new LayerApplier(limits, budget, _options.MayChown), downloads, cancellationToken).ConfigureAwait(false);
            }
            catch (AssemblyException e) when (e.InnerException is UnsafeLayerException { OverTreeBudget: true })
            {
                // Layers read at once charge the budget in no fixed order, so the one that hit the cap says nothing of
                // where the tree, layer after layer, goes over it. They are applied again one after another (their
                // blobs are in the cache by now): the error then names that entry, whichever order the reads took.
                ResetView(view, source.Layers.Count);
                budget.Restore(mark);
            }
        }

        long skipped = 0;
        var notKept = false;
        foreach (var layer in source.Layers)
        {
            var download = downloads[layer.Digest];
            if (!source.IsImage && !ArtifactLayerWriter.IsPackedDirectory(layer))
            {
                var linked = await ReadLayerAsync(source, download, async ct =>
                {
                    var blob = await download.Path.ConfigureAwait(false);
                    return await new ArtifactLayerWriter(limits, budget, _options.MayChown).LinkFileAsync(layer, blob, view, ct).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                notKept |= linked.OwnersNotKept;
                continue;
            }

            var summary = await ReadLayerAsync(source, download, async ct =>
            {
                var content = download.Growing.OpenRead();
                await using (content.ConfigureAwait(false))
                {
                    return source.IsImage
                        ? await new LayerApplier(limits, budget, _options.MayChown).ApplyAsync(layer, content, view, ct).ConfigureAwait(false)
                        : await new ArtifactLayerWriter(limits, budget, _options.MayChown).WriteAsync(layer, content, view, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            skipped += summary.SkippedSpecialFiles;
            notKept |= summary.OwnersNotKept;
        }

        return (skipped, notKept);
    }

    /// <summary>
    /// Applies an image's layers in order, the first one into the view as it downloads and the next ones read ahead at
    /// the same time, each into a directory of its own beside the view (at most <see cref="ReadAhead"/> at once): a layer's
    /// turn then costs only its renames and metadata, not its decompression and file data. The tree ends as if the layers
    /// were applied one after another (<see cref="LayerApplier.StageAsync"/>); a layer's failure is reported in its turn,
    /// so a lower layer's comes first.
    /// </summary>
    private async Task<(long Skipped, bool OwnersNotKept)> ReadImageAsync(
        ResolvedSource source, string view, LayerApplier applier, IReadOnlyDictionary<string, LayerDownload> downloads, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(ReadAhead);
        var layers = source.Layers;
        var staged = new Task<LayerApplier.StagedLayer>[layers.Count];
        try
        {
            for (var i = 1; i < layers.Count; i++)
            {
                staged[i] = StageAsync(source, layers[i], downloads[layers[i].Digest], applier, $"{view}.{i}", slots, stop.Token);
            }

            var first = downloads[layers[0].Digest];
            var summary = await ReadLayerAsync(source, first, async ct =>
            {
                var content = first.Growing.OpenRead();
                await using (content.ConfigureAwait(false))
                {
                    return await applier.ApplyAsync(layers[0], content, view, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            var skipped = summary.SkippedSpecialFiles;
            var notKept = summary.OwnersNotKept;
            for (var i = 1; i < layers.Count; i++)
            {
                LayerApplier.StagedLayer layer;
                try
                {
                    layer = await staged[i].ConfigureAwait(false);
                }
                catch (AssemblyException e) when (e.InnerException is LayerException and not UnsafeLayerException { OverTreeBudget: true })
                {
                    // Reading ahead finds what the tar alone gets wrong before what the tree decides (a parent that is
                    // a file, a link that leads out): applied in its turn, the layer fails at its first bad entry instead.
                    TempTree.DeleteQuietly($"{view}.{i}");
                    var download = downloads[layers[i].Digest];
                    var index = i;
                    summary = await ReadLayerAsync(source, download, async ct =>
                    {
                        var content = download.Growing.OpenRead();
                        await using (content.ConfigureAwait(false))
                        {
                            return await applier.ApplyAsync(layers[index], content, view, ct).ConfigureAwait(false);
                        }
                    }, cancellationToken).ConfigureAwait(false);
                    skipped += summary.SkippedSpecialFiles;
                    notKept |= summary.OwnersNotKept;
                    continue;
                }

                try
                {
                    summary = layer.ApplyTo(view, cancellationToken);
                }
                catch (LayerException invalid)
                {
                    throw new AssemblyException($"sources.{source.Name}", invalid.Message, invalid);
                }

                Directory.Delete($"{view}.{i}", recursive: true);
                skipped += summary.SkippedSpecialFiles;
                notKept |= summary.OwnersNotKept;
            }

            return (skipped, notKept);
        }
        finally
        {
            // Nothing still reading ahead once this returns or throws: the caller removes the directories it writes.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var task in staged.Where(t => t is not null))
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Stopped, or failed in a turn that never came: what the caller sees is the failure that came first.
                }
            }
        }
    }

    /// <summary>Empties the view, and removes its layers' directories beside it.</summary>
    private static void ResetView(string view, int layers)
    {
        for (var i = 1; i < layers; i++)
        {
            TempTree.DeleteQuietly($"{view}.{i}");
        }

        TempTree.DeleteQuietly(view);
        Directory.CreateDirectory(view);
    }

    /// <summary>Layers read ahead at once, beside the one being applied: the cores left, at most the download concurrency.</summary>
    private int ReadAhead => Math.Clamp(Environment.ProcessorCount - 1, 1, _options.Concurrency);

    private async Task<LayerApplier.StagedLayer> StageAsync(
        ResolvedSource source, Descriptor layer, LayerDownload download, LayerApplier applier, string aside, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(aside);
            return await ReadLayerAsync(source, download, async ct =>
            {
                var content = download.Growing.OpenRead();
                await using (content.ConfigureAwait(false))
                {
                    return await applier.StageAsync(layer, content, aside, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Reads one layer with <paramref name="read"/>, and counts it read only once its download verified it. A failure is
    /// the download's when the download failed: its end is awaited first.
    /// </summary>
    private static async Task<T> ReadLayerAsync<T>(ResolvedSource source, LayerDownload download, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            var result = await read(cancellationToken).ConfigureAwait(false);

            // Applied only once its bytes are known to be the layer's.
            await download.Path.ConfigureAwait(false);
            return result;
        }
        catch (TimeoutException e) when (!download.Growing.HasFailed)
        {
            // The download stalled: waiting for it to end is what just timed out.
            throw new AssemblyException($"sources.{source.Name}", e.Message, e);
        }
        catch (Exception e) when (e is not OperationCanceledException || download.Growing.HasFailed)
        {
            // Bytes that fail to read may be bytes the download is about to refuse (a mirror that lies, a flipped
            // bit): then what went wrong is the download, which names the blob, and a lying mirror is passed over
            // on the next attempt. So its end is awaited first; its own timeouts and the layer's size bound that.
            await download.Path.ConfigureAwait(false);
            if (e is LayerException invalid)
            {
                throw new AssemblyException($"sources.{source.Name}", invalid.Message, invalid);
            }

            throw;
        }
    }

    private void Report(string message) => _options.Progress?.Invoke(message);

    private readonly record struct BuildOutcome(long SkippedSpecialFiles, bool OwnersNotKept, TreeEntryCounts? Entries);

    /// <summary>A layer's download: its bytes as they arrive, and its path in the cache once verified.</summary>
    private sealed record LayerDownload(GrowingBlob Growing, Task<string> Path);

    private sealed record ResolvedSource(
        string Name, string Reference, LocatedTarget Located, Descriptor Manifest, bool IsImage, IReadOnlyList<Descriptor> Layers)
    {
        public ResolvedSourceSummary Summary() => new(
            Name, Reference, Manifest.Digest, IsImage, Layers.Select(l => l.Digest).ToList(), Layers.Sum(l => l.Size));
    }
}
