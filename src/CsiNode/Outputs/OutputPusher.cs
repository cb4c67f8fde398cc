using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Credentials;
using OrasAssemble.Failures;
using OrasAssemble.IO;
using OrasAssemble.Oci;
using OrasAssemble.Packing;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>
/// Pushes the outbox, a few entries at a time: each as an ORAS artifact (<see cref="OutputArtifact"/>) with the pod's own
/// credentials (else the node's, else none), removed only once the registry has taken the manifest. A push that may
/// succeed later (the registry down, 5xx, 429) is retried with a doubling wait up to <c>outputs.retryMax</c>; one the
/// registry refused (401, 403, another 4xx) and an output over the size limits are kept and reported at Error, and tried
/// again only every <c>outputs.retryRefused</c>. What is in the outbox when the plugin starts is pushed first.
/// </summary>
internal sealed partial class OutputPusher(
    OutputStore store, RegistryClientPool clients, OutputSettings settings, OutputMetrics metrics, TimeProvider time, ILogger<OutputPusher> logger)
    : BackgroundService
{
    /// <summary>The outbox is looked at again at least this often, so an entry is never forgotten.</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Attempts> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    /// <summary>How an entry's pushes went so far in this process; a restart tries every entry at once.</summary>
    private sealed record Attempts(int Failures, DateTimeOffset NextAt, bool SkipsReported);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = StartDuePushes(stoppingToken);
                await store.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // A push cut short by the stop is tried again by the next process: nothing was removed.
        try
        {
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <returns>How long until the next entry is due.</returns>
    private TimeSpan StartDuePushes(CancellationToken stoppingToken)
    {
        IReadOnlyList<string> pending;
        try
        {
            pending = store.Pending();
        }
        catch (IOException e)
        {
            LogOutboxUnreadable(logger, store.Outbox, e.Message);
            return MaxIdle;
        }

        metrics.SetPending(pending.Count);
        foreach (var gone in _attempts.Keys.Except(pending, StringComparer.Ordinal).ToList())
        {
            _attempts.TryRemove(gone, out _);
        }

        var now = time.GetUtcNow();
        var wait = MaxIdle;
        foreach (var id in pending)
        {
            if (_running.ContainsKey(id))
            {
                continue;
            }

            if (_attempts.TryGetValue(id, out var attempts) && attempts.NextAt > now)
            {
                wait = Min(wait, attempts.NextAt - now);
                continue;
            }

            if (_running.Count >= settings.Parallelism)
            {
                // A push that ends signals the store, which brings the loop back here.
                break;
            }

            _running[id] = Task.Run(async () =>
            {
                try
                {
                    await PushAsync(id, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    _running.TryRemove(id, out _);
                    store.Signal();
                }
            }, CancellationToken.None);
        }

        return wait;
    }

    private async Task PushAsync(string id, CancellationToken cancellationToken)
    {
        var attempts = _attempts.GetValueOrDefault(id) ?? new Attempts(0, time.GetUtcNow(), SkipsReported: false);
        OutputEntry entry;
        IReadOnlyDictionary<string, string> secrets;
        OutputArtifact.Size size;
        var data = Path.Combine(store.EntryDirectory(id), OutputStore.DataName);
        try
        {
            entry = store.ReadEntry(id);
            secrets = store.ReadSecrets(id);
            size = OutputArtifact.Measure(data, settings.MaxFiles, settings.MaxBytes);
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            LogUnreadable(logger, id, e.Message);
            Failed(id, attempts, OutputMetrics.Unreadable);
            return;
        }

        var age = time.GetUtcNow() - (entry.UnpublishedAt ?? entry.PublishedAt);
        if (age > settings.MaxAge)
        {
            LogStale(logger, id, entry.Reference, PodOf(entry), (long)age.TotalSeconds, (long)settings.MaxAge.TotalSeconds);
            metrics.Failed(OutputMetrics.Expired);
        }

        if (size.Entries > settings.MaxFiles || size.Bytes > settings.MaxBytes)
        {
            LogTooLarge(logger, id, entry.Reference, PodOf(entry), size.Entries > settings.MaxFiles ? $"more than {settings.MaxFiles} entries" : $"more than {settings.MaxBytes} bytes",
                settings.MaxFiles, settings.MaxBytes);
            Failed(id, attempts, OutputMetrics.TooLarge);
            return;
        }

        var temp = Path.Combine(store.Temp, id);
        try
        {
            Directory.CreateDirectory(temp);
            var layers = await OutputArtifact.PrepareAsync(data, temp, cancellationToken).ConfigureAwait(false);
            if (layers.Skipped.Count > 0 && !attempts.SkipsReported)
            {
                LogSkipped(logger, id, entry.Reference, layers.Skipped.Count, string.Join(", ", layers.Skipped.Select(Text.QuotedValue.Of)));
                metrics.Skipped(layers.Skipped.Count);
                attempts = attempts with { SkipsReported = true };
            }

            var reference = Reference.Parse(entry.Reference);
            var basicAuthRegistry = reference.Registry;
            ICredentialProvider Credentials() => VolumeCredentials.FromSecrets(secrets, basicAuthRegistry);
            var fingerprint = VolumeCredentials.Fingerprint(VolumeCredentials.Canonical(secrets, basicAuthRegistry, plainHttp: false, insecure: false));
            using var lease = clients.Rent(fingerprint, Credentials, plainHttp: false, insecure: false);
            var pushed = await new ArtifactPusher(time).PushAsync(
                lease.Client.GetRepository(reference), layers.Prepared, entry.ArtifactType, ManifestAnnotations(entry), reference.Tag, null, cancellationToken)
                .ConfigureAwait(false);

            // Confirmed by the registry: only now may the output leave the node.
            metrics.Pushed();
            store.Remove(id);
            _attempts.TryRemove(id, out _);
            metrics.SetPending(store.Pending().Count);
            LogPushed(logger, id, entry.Reference, pushed.Digest, PodOf(entry), layers.Prepared.Count, size.Bytes, attempts.Failures);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is PackingException or CredentialConfigException || Failure.IsRefusal(e))
        {
            LogRefused(logger, id, entry.Reference, PodOf(entry), e.Message, (long)settings.RetryRefused.TotalSeconds);
            Failed(id, attempts with { Failures = attempts.Failures + 1 }, OutputMetrics.Refused);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var next = Backoff(attempts.Failures);
            LogUnavailable(logger, id, entry.Reference, PodOf(entry), e.Message, attempts.Failures + 1, (long)next.TotalMilliseconds);
            metrics.Failed(OutputMetrics.Unavailable);
            _attempts[id] = attempts with { Failures = attempts.Failures + 1, NextAt = time.GetUtcNow() + next };
        }
        finally
        {
            TempTree.DeleteQuietly(temp);
        }
    }

    /// <summary>A failure that asking again soon will not change: counted, and tried again only every <c>retryRefused</c>.</summary>
    private void Failed(string id, Attempts attempts, string reason)
    {
        metrics.Failed(reason);
        _attempts[id] = attempts with { NextAt = time.GetUtcNow() + settings.RetryRefused };
    }

    private TimeSpan Backoff(int failures)
    {
        var ticks = settings.RetryInitial.Ticks * Math.Pow(2, Math.Min(failures, 30));
        return ticks >= settings.RetryMax.Ticks ? settings.RetryMax : TimeSpan.FromTicks((long)ticks);
    }

    private static SortedDictionary<string, string> ManifestAnnotations(OutputEntry entry)
    {
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in entry.Annotations)
        {
            annotations[key] = value;
        }

        // What made the output, which a user's annotation does not override.
        SetIfKnown(annotations, OutputAnnotations.PodNamespace, entry.PodNamespace);
        SetIfKnown(annotations, OutputAnnotations.PodName, entry.PodName);
        SetIfKnown(annotations, OutputAnnotations.PodUid, entry.PodUid);
        annotations[OutputAnnotations.Node] = entry.NodeId;
        annotations[Annotations.Created] = (entry.UnpublishedAt ?? entry.PublishedAt).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return annotations;
    }

    private static void SetIfKnown(SortedDictionary<string, string> annotations, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            annotations[key] = value;
        }
    }

    private static string PodOf(OutputEntry entry) => $"{entry.PodNamespace ?? "-"}/{entry.PodName ?? "-"}";

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(EventId = 710, Level = LogLevel.Information,
        Message = "output {Entry} of pod {Pod} pushed to {Reference} as {Digest}: {Layers} layers, {Bytes} bytes, after {Failures} failed attempts")]
    private static partial void LogPushed(ILogger logger, string entry, string reference, string digest, string pod, int layers, long bytes, int failures);

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning,
        Message = "output {Entry} of pod {Pod} for {Reference} not pushed yet (attempt {Attempt}): {Reason}; trying again in {RetryMs} ms")]
    private static partial void LogUnavailable(ILogger logger, string entry, string reference, string pod, string reason, int attempt, long retryMs);

    [LoggerMessage(EventId = 712, Level = LogLevel.Error,
        Message = "output {Entry} of pod {Pod} for {Reference} was refused: {Reason}; it is kept on the node and tried again in {RetrySeconds} s")]
    private static partial void LogRefused(ILogger logger, string entry, string reference, string pod, string reason, long retrySeconds);

    [LoggerMessage(EventId = 713, Level = LogLevel.Error,
        Message = "output {Entry} of pod {Pod} for {Reference} holds {Problem}, over the node's limits (outputs.maxFiles {MaxFiles}, outputs.maxBytes {MaxBytes}); it is kept on the node and not pushed")]
    private static partial void LogTooLarge(ILogger logger, string entry, string reference, string pod, string problem, long maxFiles, long maxBytes);

    [LoggerMessage(EventId = 714, Level = LogLevel.Warning,
        Message = "output {Entry} for {Reference}: {Count} entries left out (FIFOs, sockets, devices, links at the top level): {Entries}")]
    private static partial void LogSkipped(ILogger logger, string entry, string reference, int count, string entries);

    [LoggerMessage(EventId = 715, Level = LogLevel.Error,
        Message = "output {Entry} of pod {Pod} for {Reference} was unpublished {AgeSeconds} s ago and is still not pushed (outputs.maxAge {MaxAgeSeconds} s); it is kept")]
    private static partial void LogStale(ILogger logger, string entry, string reference, string pod, long ageSeconds, long maxAgeSeconds);

    [LoggerMessage(EventId = 716, Level = LogLevel.Error, Message = "outbox entry {Entry} cannot be read ({Reason}); it is kept")]
    private static partial void LogUnreadable(ILogger logger, string entry, string reason);

    [LoggerMessage(EventId = 717, Level = LogLevel.Error, Message = "the outbox {Directory} cannot be listed: {Reason}")]
    private static partial void LogOutboxUnreadable(ILogger logger, string directory, string reason);
}
