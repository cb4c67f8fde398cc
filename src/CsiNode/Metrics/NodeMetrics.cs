using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrasAssemble.Hosting;
using Prometheus;

namespace OrasAssemble.CsiNode.Metrics;

/// <summary>
/// The plugin's metrics, kept by prometheus-net in a registry of this plugin's own (several plugins may share a
/// process) and served in the Prometheus text format on <c>/metrics</c>. Labels come from fixed, small sets (the gRPC
/// status names), never from volume ids or references, so the series count stays bounded. Process and .NET runtime
/// metrics sit beside them.
/// </summary>
internal sealed class NodeMetrics : IDisposable
{
    public const string Prefix = "oras_assemble_csi_";

    /// <summary>The library's registry client meter (mirror counters), exported beside the plugin's own metrics.</summary>
    public const string RegistryMeterName = "OrasAssemble.Registry";

    private const string MirrorResponsesInstrument = "orasassemble.registry.mirror_responses";
    private const string MirrorFailuresInstrument = "orasassemble.registry.mirror_failures";

    /// <summary>
    /// Seconds, 1 ms to 5 min: a warm publish is a bind mount (milliseconds); a cold one waits for a pull that may take
    /// minutes for a large image.
    /// </summary>
    internal static readonly double[] DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    /// <summary>From 50 µs: a warm publish's parts are well under a millisecond each.</summary>
    private static readonly double[] PhaseBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10];

    private readonly RuntimeMetrics _runtime;
    private readonly Counter _publishes;
    private readonly Counter _unpublishes;
    private readonly Histogram _publishDurations;
    private readonly Histogram _unpublishDurations;
    private readonly Histogram _phases;
    private readonly Counter _cacheHits;
    private readonly Counter _cacheMisses;
    private readonly Counter _fetchedBytes;
    private readonly Counter _skippedSpecialFiles;
    private readonly Gauge _pullsInFlight;
    private readonly Gauge _cacheBytes;
    private readonly Counter _mirrorResponses;
    private readonly Counter _mirrorFailures;
    private readonly MeterListener _registryListener;

    public NodeMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);

        // .NET's own runtime instruments (GC, JIT, thread pool, exceptions) through its System.Runtime meter.
        _runtime = new RuntimeMetrics(Registry);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _publishes = factory.CreateCounter($"{Prefix}publish_total", "NodePublishVolume calls by outcome (gRPC status).", "outcome");
        _publishDurations = factory.CreateHistogram(
            $"{Prefix}publish_duration_seconds", "How long NodePublishVolume calls took, by outcome.", ["outcome"], new HistogramConfiguration { Buckets = DurationBuckets });
        _unpublishes = factory.CreateCounter($"{Prefix}unpublish_total", "NodeUnpublishVolume calls by outcome (gRPC status).", "outcome");
        _unpublishDurations = factory.CreateHistogram(
            $"{Prefix}unpublish_duration_seconds", "How long NodeUnpublishVolume calls took, by outcome.", ["outcome"], new HistogramConfiguration { Buckets = DurationBuckets });
        _phases = factory.CreateHistogram(
            $"{Prefix}publish_phase_seconds",
            "How long each part of NodePublishVolume took (validate, lookup, credentials, resolve, tree, tenancy, record, mount).",
            ["phase"],
            new HistogramConfiguration { Buckets = PhaseBuckets });
        foreach (var phase in PublishPhase.All)
        {
            _phases.WithLabels(phase);
        }

        _cacheHits = factory.CreateCounter($"{Prefix}cache_hits_total", "Volumes served from a tree already in the node cache.");
        _cacheMisses = factory.CreateCounter($"{Prefix}cache_misses_total", "Volumes whose tree had to be built.");
        _fetchedBytes = factory.CreateCounter($"{Prefix}fetched_bytes_total", "Blob bytes downloaded from registries.");
        _skippedSpecialFiles = factory.CreateCounter(
            $"{Prefix}skipped_special_files_total", "Device nodes and FIFOs (and hard links to them) that trees this node built left out of their sources.");
        _pullsInFlight = factory.CreateGauge($"{Prefix}pulls_in_flight", "Volumes whose content is being resolved or built now.");

        _mirrorResponses = factory.CreateCounter(
            $"{Prefix}mirror_responses_total", "Blob and manifest requests a mirror answered with content, by mirror.", "mirror");
        _mirrorFailures = factory.CreateCounter(
            $"{Prefix}mirror_failures_total",
            "Requests passed over from a mirror to the next mirror or the registry, by mirror and reason (not_found, status, unreachable, timeout, mismatch).",
            "mirror",
            "reason");
        _registryListener = ListenToRegistryClient();

        // Absent until the collector first measures the cache: a 0 would read as an empty cache.
        _cacheBytes = factory.CreateGauge(
            $"{Prefix}cache_size_bytes", "Bytes the node cache holds, as last measured.", new GaugeConfiguration { SuppressInitialValue = true });
    }

    /// <summary>Where the metrics are kept; <c>/metrics</c> serves this registry.</summary>
    public CollectorRegistry Registry { get; }

    /// <param name="operation"><c>publish</c> or <c>unpublish</c>.</param>
    public void RecordCall(string operation, string outcome, TimeSpan duration)
    {
        var (calls, durations) = operation switch
        {
            "publish" => (_publishes, _publishDurations),
            "unpublish" => (_unpublishes, _unpublishDurations),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "publish or unpublish"),
        };
        calls.WithLabels(outcome).Inc();
        durations.WithLabels(outcome).Observe(duration.TotalSeconds);
    }

    /// <summary>Records that <paramref name="phase"/> (one of <see cref="PublishPhase.All"/>) ran from <paramref name="started"/> until now; returns now.</summary>
    public long Phase(string phase, long started)
    {
        var now = Stopwatch.GetTimestamp();
        _phases.WithLabels(phase).Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        return now;
    }

    public void CacheHit() => _cacheHits.Inc();

    public void CacheMiss() => _cacheMisses.Inc();

    public void Fetched(long bytes) => _fetchedBytes.Inc(bytes);

    /// <summary>Counts the special entries a tree this node just built left out.</summary>
    public void SkippedSpecialFiles(long entries) => _skippedSpecialFiles.Inc(entries);

    public void SetCacheSize(long bytes) => _cacheBytes.Set(bytes);

    /// <summary>Counts a pull as in flight until the returned scope is disposed.</summary>
    public IDisposable PullStarted() => _pullsInFlight.TrackInProgress();

    public void Dispose()
    {
        _registryListener.Dispose();
        _runtime.Dispose();
    }

    /// <summary>
    /// Copies the registry client's mirror counters (the library's <see cref="RegistryMeterName"/> meter) into this
    /// plugin's counters as they are recorded. The meter is process-wide: plugins sharing a process count each other's
    /// mirror requests too.
    /// </summary>
    private MeterListener ListenToRegistryClient()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RegistryMeterName && instrument.Name is MirrorResponsesInstrument or MirrorFailuresInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var mirror = Tag(tags, "mirror");
            if (instrument.Name == MirrorResponsesInstrument)
            {
                _mirrorResponses.WithLabels(mirror).Inc(value);
            }
            else
            {
                _mirrorFailures.WithLabels(mirror, Tag(tags, "reason")).Inc(value);
            }
        });
        listener.Start();
        return listener;
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString() ?? "";
            }
        }

        return "";
    }
}
