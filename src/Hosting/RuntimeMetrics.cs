using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace OrasAssemble.Hosting;

/// <summary>
/// The .NET runtime's own instruments (its <c>System.Runtime</c> meter: GC, JIT, thread pool, locks, exceptions) in a
/// host's prometheus-net registry, read at each scrape. prometheus-net's own meter adapter connects to these
/// instruments but exports none of them on .NET 10, so the hosts read the meter themselves. Names follow the
/// Prometheus conventions for OpenTelemetry metrics: dots become underscores, the unit is a suffix
/// (<c>By</c> → <c>_bytes</c>, <c>s</c> → <c>_seconds</c>), counters end in <c>_total</c>; a tag becomes a label of the
/// same name with underscores (<c>dotnet_gc_collections_total{gc_heap_generation="gen0"}</c>). A counter the runtime
/// reports as a running total at each scrape is a gauge of that name, since some of them fall. Source file shared by
/// the node plugin and the webhook.
/// </summary>
internal sealed class RuntimeMetrics : IDisposable
{
    private const string MeterName = "System.Runtime";

    private readonly MetricFactory _factory;
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<Instrument, Exported?> _exported = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    public RuntimeMetrics(CollectorRegistry registry)
    {
        _factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(() =>
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _listener.RecordObservableInstruments();
                }
            }
        });
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _listener.Dispose();
    }

    /// <summary>The Prometheus name of an instrument, e.g. <c>dotnet.gc.heap.total_allocated</c> in <c>By</c> → <c>dotnet_gc_heap_total_allocated_bytes_total</c>.</summary>
    internal static string PrometheusName(string name, string? unit, bool counter)
    {
        var suffix = unit switch
        {
            "By" => "_bytes",
            "s" => "_seconds",
            _ => "",
        };
        var text = name.Replace('.', '_');
        if (suffix.Length > 0 && !text.EndsWith(suffix, StringComparison.Ordinal))
        {
            text += suffix;
        }

        return counter ? text + "_total" : text;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_exported.TryGetValue(instrument, out var exported))
        {
            // prometheus-net hands back the metric it already has for a name, so a race here creates nothing twice.
            exported = _exported.GetOrAdd(instrument, Export(instrument, Keys(tags)));
        }

        if (exported is null || !exported.Matches(tags))
        {
            // A tag set this instrument did not start with: left out rather than guessed at.
            return;
        }

        var labels = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            labels[i] = tags[i].Value?.ToString() ?? "";
        }

        exported.Record(value, labels);
    }

    private static string[] Keys(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var keys = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            keys[i] = tags[i].Key;
        }

        return keys;
    }

    private Exported? Export(Instrument instrument, string[] tagKeys)
    {
        var labels = tagKeys.Select(k => k.Replace('.', '_')).ToArray();
        var help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
        try
        {
            return instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> =>
                    new Exported(tagKeys, _factory.CreateCounter(PrometheusName(instrument.Name, instrument.Unit, counter: true), help, labels), null),
                // The runtime reports a running total for each, but declares some that fall as counters too (its thread
                // pool's thread count and queue length): a gauge shows every value as it is, under the counter's name.
                ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> =>
                    new Exported(tagKeys, null, _factory.CreateGauge(PrometheusName(instrument.Name, instrument.Unit, counter: true), help, labels)),
                ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double>
                    or ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableUpDownCounter<double> =>
                    new Exported(tagKeys, null, _factory.CreateGauge(PrometheusName(instrument.Name, instrument.Unit, counter: false), help, labels)),
                _ => null,
            };
        }
        catch (ArgumentException)
        {
            // A name or label prometheus-net will not take (or one already taken): this instrument is not exported.
            return null;
        }
    }

    /// <summary>One instrument's Prometheus metric and the tag keys, in order, its labels stand for.</summary>
    private sealed record Exported(string[] TagKeys, Counter? Counter, Gauge? Gauge)
    {
        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != TagKeys.Length)
            {
                return false;
            }

            for (var i = 0; i < tags.Length; i++)
            {
                if (tags[i].Key != TagKeys[i])
                {
                    return false;
                }
            }

            return true;
        }

        public void Record(double value, string[] labels)
        {
            if (Counter is { } counter)
            {
                counter.WithLabels(labels).Inc(value);
            }
            else
            {
                Gauge!.WithLabels(labels).Set(value);
            }
        }
    }
}
