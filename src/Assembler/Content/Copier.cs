using System.Runtime.ExceptionServices;
using OrasAssemble.Oci;
using Index = OrasAssemble.Oci.Index;

namespace OrasAssemble.Content;

/// <summary>
/// Copies a manifest or index and everything it references from one store to another, children before parents, so
/// the destination never holds a manifest whose content is missing. Blobs are streamed, not buffered, and verified
/// by the destination's push.
/// </summary>
/// <remarks>
/// A manifest's <c>subject</c> is not followed: a referrer may exist without its subject (registries accept that),
/// and following it would drag along an assembly spec's whole revision history.
/// </remarks>
internal static class Copier
{
    /// <summary>
    /// Resolves <paramref name="sourceReference"/>, copies its graph and tags the result as
    /// <paramref name="destinationReference"/> (the source reference when empty). A digest as destination reference
    /// tags nothing, since content is reachable by digest anyway.
    /// </summary>
    /// <returns>The descriptor of the copied root: the platform's manifest when a platform was asked for.</returns>
    public static async Task<Descriptor> CopyAsync(IReadOnlyTarget source, string sourceReference, ITarget destination, string destinationReference, CopyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentException.ThrowIfNullOrEmpty(sourceReference);
        options ??= new CopyOptions();
        options.Validate();
        var explicitDestination = !string.IsNullOrEmpty(destinationReference);
        var tag = explicitDestination ? destinationReference : sourceReference;

        var root = await source.ResolveAsync(sourceReference, cancellationToken).ConfigureAwait(false);
        if (options.Platform is not null)
        {
            root = await SelectPlatformAsync(source, root, options.Platform, options.MaxManifestBytes, cancellationToken).ConfigureAwait(false);
        }

        if (Digest.IsValid(tag) && explicitDestination && tag != root.Digest)
        {
            throw new ArgumentException(
                $"destination reference {tag} is a digest other than the copied content's {root.Digest}", nameof(destinationReference));
        }

        await CopyGraphAsync(source, destination, root, options, cancellationToken).ConfigureAwait(false);
        if (!Digest.IsValid(tag))
        {
            await destination.TagAsync(root, tag, cancellationToken).ConfigureAwait(false);
        }

        return root;
    }

    /// <summary>
    /// Copies <paramref name="root"/> and what it references, skipping nodes the destination already has (with all
    /// they reference: a store only holds a manifest once its children are in). Each node is copied once however
    /// often it is referenced; <see cref="CopyOptions.Concurrency"/> bounds the transfers of the whole graph.
    /// </summary>
    public static async Task CopyGraphAsync(IReadOnlyStorage source, IStorage destination, Descriptor root, CopyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(root);
        options ??= new CopyOptions();
        options.Validate();
        using var run = new GraphCopy(source, destination, options, cancellationToken);
        await run.ExecuteAsync(root).ConfigureAwait(false);
    }

    private static async Task<Descriptor> SelectPlatformAsync(IFetchable source, Descriptor root, Platform platform, long maxBytes, CancellationToken cancellationToken)
    {
        var current = root;
        // Indexes may nest; a bound keeps a malicious chain from running forever.
        for (var depth = 0; depth < 16; depth++)
        {
            if (MediaTypes.IsIndex(current.MediaType))
            {
                var bytes = await source.FetchAllAsync(current, maxBytes, cancellationToken).ConfigureAwait(false);
                current = OciJson.Deserialize<Index>(bytes, $"index {current.Digest}").SelectPlatform(platform);
                continue;
            }

            if (!MediaTypes.IsManifest(current.MediaType))
            {
                throw new InvalidDataException($"{current} is neither a manifest nor an index, so it has no platform to select");
            }

            var manifestBytes = await source.FetchAllAsync(current, maxBytes, cancellationToken).ConfigureAwait(false);
            var config = OciJson.Deserialize<Manifest>(manifestBytes, $"manifest {current.Digest}").Config;
            if (config.MediaType is not (MediaTypes.ImageConfig or MediaTypes.DockerConfig))
            {
                throw new PlatformNotFoundException(platform, $"none: {current.Digest} is an artifact of config type {config.MediaType}, without a platform");
            }

            var configBytes = await source.FetchAllAsync(config, maxBytes, cancellationToken).ConfigureAwait(false);
            var actual = OciJson.Deserialize<Platform>(configBytes, $"image config {config.Digest}");
            return platform.IsSatisfiedBy(actual) ? current : throw new PlatformNotFoundException(platform, actual.ToString());
        }

        throw new InvalidDataException($"indexes under {root.Digest} nest deeper than 16 levels");
    }

    /// <summary>Children of a manifest or index: what must be at the destination before it.</summary>
    private static IReadOnlyList<Descriptor> Successors(byte[] content, Descriptor node)
    {
        if (MediaTypes.IsIndex(node.MediaType))
        {
            return OciJson.Deserialize<Index>(content, $"index {node.Digest}").Manifests;
        }

        var manifest = OciJson.Deserialize<Manifest>(content, $"manifest {node.Digest}");
        return [manifest.Config, .. manifest.Layers];
    }

    /// <summary>One graph copy: the nodes started so far, the shared transfer slots, and the first failure.</summary>
    private sealed class GraphCopy : IDisposable
    {
        private readonly IReadOnlyStorage _source;
        private readonly IStorage _destination;
        private readonly CopyOptions _options;
        private readonly IReferrerLister? _referrers;
        private readonly SemaphoreSlim _slots;
        private readonly CancellationTokenSource _cancel;
        private readonly CancellationToken _callerToken;
        private readonly Lock _lock = new();
        private readonly Dictionary<string, Task> _tasks = new(StringComparer.Ordinal);
        private Exception? _firstError;

        public GraphCopy(IReadOnlyStorage source, IStorage destination, CopyOptions options, CancellationToken cancellationToken)
        {
            _source = source;
            _destination = destination;
            _options = options;
            _referrers = options.IncludeReferrers ? source as IReferrerLister : null;
            _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _callerToken = cancellationToken;
        }

        public async Task ExecuteAsync(Descriptor root)
        {
            _ = Start(root);
            // Referrers start as tasks of their own, so wait until no new task appears; on failure too, so no
            // transfer is still running when the caller sees the error.
            while (true)
            {
                Task[] pending;
                lock (_lock)
                {
                    pending = [.. _tasks.Values];
                }

                try
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                }
                catch (Exception) when (_cancel.IsCancellationRequested)
                {
                    // Recorded in _firstError or caused by the caller's cancellation; reported below.
                }

                lock (_lock)
                {
                    if (_tasks.Count == pending.Length)
                    {
                        break;
                    }
                }
            }

            if (_firstError is not null)
            {
                ExceptionDispatchInfo.Throw(_firstError);
            }

            _callerToken.ThrowIfCancellationRequested();
        }

        public void Dispose()
        {
            _slots.Dispose();
            _cancel.Dispose();
        }

        private Task Start(Descriptor node) => Track(node.Digest, () => CopyNodeAsync(node));

        private Task Track(string key, Func<Task> work)
        {
            lock (_lock)
            {
                if (!_tasks.TryGetValue(key, out var task))
                {
                    // Task.Run so the work never runs inside the lock, whatever the stores complete synchronously.
                    task = Task.Run(() => GuardAsync(work));
                    _tasks.Add(key, task);
                }

                return task;
            }
        }

        private async Task GuardAsync(Func<Task> work)
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (e is not OperationCanceledException || !_cancel.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref _firstError, e, null);
                }

                // One failure ends the copy: stop the rest rather than finish work that will be thrown away.
                await _cancel.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        private async Task CopyNodeAsync(Descriptor node)
        {
            var token = _cancel.Token;
            var isManifest = MediaTypes.IsManifestOrIndex(node.MediaType);
            if (await WithSlotAsync(() => _destination.ExistsAsync(node, token)).ConfigureAwait(false))
            {
                _options.OnSkipped?.Invoke(node);
                StartReferrers(node, isManifest);
                return;
            }

            if (isManifest)
            {
                var content = await WithSlotAsync(() => _source.FetchAllAsync(node, _options.MaxManifestBytes, token)).ConfigureAwait(false);
                await Task.WhenAll(Successors(content, node).Select(Start)).ConfigureAwait(false);
                await WithSlotAsync(async () =>
                {
                    using var buffered = new MemoryStream(content, writable: false);
                    await _destination.PushAsync(node, buffered, token).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
            }
            else
            {
                await WithSlotAsync(async () =>
                {
                    var stream = await _source.FetchAsync(node, token).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        await _destination.PushAsync(node, stream, token).ConfigureAwait(false);
                    }

                    return true;
                }).ConfigureAwait(false);
            }

            _options.OnCopied?.Invoke(node);
            StartReferrers(node, isManifest);
        }

        private void StartReferrers(Descriptor node, bool isManifest)
        {
            if (_referrers is not null && isManifest)
            {
                _ = Track("referrers of " + node.Digest, () => CopyReferrersAsync(node));
            }
        }

        private async Task CopyReferrersAsync(Descriptor subject)
        {
            var token = _cancel.Token;
            var found = await WithSlotAsync(async () =>
            {
                var list = new List<Descriptor>();
                await foreach (var referrer in _referrers!.FetchReferrersAsync(subject, null, token).ConfigureAwait(false))
                {
                    list.Add(referrer);
                }

                return list;
            }).ConfigureAwait(false);

            // Not awaited here: a referrer's own task is tracked like any node, and waiting on it from its subject
            // could deadlock on an index that names a manifest both as its subject and as a child.
            foreach (var referrer in found)
            {
                _ = Start(referrer);
            }
        }

        // Slots are held only around one transfer, never while waiting for other nodes, so the graph cannot
        // deadlock however small the bound.
        private async Task<T> WithSlotAsync<T>(Func<Task<T>> transfer)
        {
            await _slots.WaitAsync(_cancel.Token).ConfigureAwait(false);
            try
            {
                return await transfer().ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
    }
}
