using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrasAssemble.CsiNode.Metrics;

/// <summary>
/// The plugin's metrics, written in the Prometheus text format on <c>/metrics</c>. Labels come from fixed, small sets
/// (the gRPC status names), never from volume ids or references, so the series count stays bounded.
/// </summary>
internal sealed class NodeMetrics
{
    public const string Prefix = "oras_assemble_csi_";

    private static readonly double[] LatencyBounds = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>From 50 µs: a warm publish's parts are well under a millisecond each.</summary>
    private static readonly double[] PhaseBounds = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10];

    private readonly ConcurrentDictionary<(string Operation, string Outcome), Histogram> _calls = new();
    private readonly Dictionary<string, Histogram> _phases = PublishPhase.All.ToDictionary(p => p, _ => new Histogram(PhaseBounds), StringComparer.Ordinal);
    private long _cacheHits;
    private long _cacheMisses;
    private long _fetchedBytes;
    private long _pullsInFlight;
    private long _cacheBytes = -1;

    public void RecordCall(string operation, string outcome, TimeSpan duration) =>
        _calls.GetOrAdd((operation, outcome), _ => new Histogram(LatencyBounds)).Observe(duration.TotalSeconds);

    /// <summary>Records that <paramref name="phase"/> (one of <see cref="PublishPhase.All"/>) ran from <paramref name="started"/> until now; returns now.</summary>
    public long Phase(string phase, long started)
    {
        var now = Stopwatch.GetTimestamp();
        _phases[phase].Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        return now;
    }

    public void CacheHit() => Interlocked.Increment(ref _cacheHits);

    public void CacheMiss() => Interlocked.Increment(ref _cacheMisses);

    public void Fetched(long bytes) => Interlocked.Add(ref _fetchedBytes, bytes);

    public void SetCacheSize(long bytes) => Interlocked.Exchange(ref _cacheBytes, bytes);

    /// <summary>Counts a pull as in flight until the returned scope is disposed.</summary>
    public IDisposable PullStarted()
    {
        Interlocked.Increment(ref _pullsInFlight);
        return new Scope(() => Interlocked.Decrement(ref _pullsInFlight));
    }

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var operation in new[] { "publish", "unpublish" })
        {
            var series = _calls.Where(c => c.Key.Operation == operation).OrderBy(c => c.Key.Outcome, StringComparer.Ordinal).ToList();
            var name = $"{Prefix}{operation}";
            Header(text, $"{name}_total", "counter", $"Node{char.ToUpperInvariant(operation[0])}{operation[1..]}Volume calls by outcome (gRPC status).");
            foreach (var (key, histogram) in series)
            {
                Line(text, $"{name}_total{{outcome=\"{key.Outcome}\"}}", histogram.Snapshot().Count);
            }

            Header(text, $"{name}_duration_seconds", "histogram", $"How long Node{char.ToUpperInvariant(operation[0])}{operation[1..]}Volume calls took, by outcome.");
            foreach (var (key, histogram) in series)
            {
                var (cumulative, sum, count) = histogram.Snapshot();
                for (var i = 0; i < cumulative.Length; i++)
                {
                    Line(text, $"{name}_duration_seconds_bucket{{outcome=\"{key.Outcome}\",le=\"{Format(histogram.Bounds[i])}\"}}", cumulative[i]);
                }

                Line(text, $"{name}_duration_seconds_bucket{{outcome=\"{key.Outcome}\",le=\"+Inf\"}}", count);
                text.Append(CultureInfo.InvariantCulture, $"{name}_duration_seconds_sum{{outcome=\"{key.Outcome}\"}} {Format(sum)}\n");
                Line(text, $"{name}_duration_seconds_count{{outcome=\"{key.Outcome}\"}}", count);
            }
        }

        var phaseName = $"{Prefix}publish_phase_seconds";
        Header(text, phaseName, "histogram", "How long each part of NodePublishVolume took (validate, lookup, credentials, resolve, tree, tenancy, record, mount).");
        foreach (var phase in PublishPhase.All)
        {
            var histogram = _phases[phase];
            var (cumulative, sum, count) = histogram.Snapshot();
            for (var i = 0; i < cumulative.Length; i++)
            {
                Line(text, $"{phaseName}_bucket{{phase=\"{phase}\",le=\"{Format(histogram.Bounds[i])}\"}}", cumulative[i]);
            }

            Line(text, $"{phaseName}_bucket{{phase=\"{phase}\",le=\"+Inf\"}}", count);
            text.Append(CultureInfo.InvariantCulture, $"{phaseName}_sum{{phase=\"{phase}\"}} {Format(sum)}\n");
            Line(text, $"{phaseName}_count{{phase=\"{phase}\"}}", count);
        }

        Counter(text, "cache_hits_total", "Volumes served from a tree already in the node cache.", Interlocked.Read(ref _cacheHits));
        Counter(text, "cache_misses_total", "Volumes whose tree had to be built.", Interlocked.Read(ref _cacheMisses));
        Counter(text, "fetched_bytes_total", "Blob bytes downloaded from registries.", Interlocked.Read(ref _fetchedBytes));
        Header(text, $"{Prefix}pulls_in_flight", "gauge", "Volumes whose content is being resolved or built now.");
        Line(text, $"{Prefix}pulls_in_flight", Interlocked.Read(ref _pullsInFlight));
        if (Interlocked.Read(ref _cacheBytes) is var size and >= 0)
        {
            Header(text, $"{Prefix}cache_size_bytes", "gauge", "Bytes the node cache holds, as last measured.");
            Line(text, $"{Prefix}cache_size_bytes", size);
        }

        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, Prefix + name, "counter", help);
        Line(text, Prefix + name, value);
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Line(StringBuilder text, string series, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"{series} {value}\n");

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Scope(Action end) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                end();
            }
        }
    }
}
