using System.Text;
using OrasAssemble.Hosting;
using Prometheus;

namespace OrasAssemble.Webhook.Metrics;

/// <summary>
/// The webhook's metrics, kept by prometheus-net in a registry of this server's own and served at <c>/metrics</c> in
/// the Prometheus text format. Labels take fixed values only (every one is published from the start, at 0), so the
/// series count stays small. Process and .NET runtime metrics sit beside them.
/// </summary>
internal sealed class WebhookMetrics : IDisposable
{
    private const string Prefix = "oras_assemble_webhook_";

    /// <summary>
    /// Seconds, 1 ms to 30 s: an admission answered from the spec cache takes a millisecond or two; one that reads the
    /// registry is bounded by the resolve timeout (seconds).
    /// </summary>
    internal static readonly double[] DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly RuntimeMetrics runtime;
    private readonly Counter admissions;
    private readonly Histogram durations;
    private readonly Counter resolutions;
    private readonly Counter reloads;
    private readonly Gauge certificateExpiry;

    public WebhookMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);

        // .NET's own runtime instruments (GC, JIT, thread pool, exceptions) through its System.Runtime meter.
        runtime = new RuntimeMetrics(Registry);
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        admissions = factory.CreateCounter($"{Prefix}admissions_total", "Admission reviews answered, by outcome.", "outcome");
        durations = factory.CreateHistogram(
            $"{Prefix}admission_duration_seconds", "Time to answer an admission review.", new HistogramConfiguration { Buckets = DurationBuckets });
        resolutions = factory.CreateCounter($"{Prefix}spec_resolutions_total", "Spec resolutions, by result.", "result");
        reloads = factory.CreateCounter($"{Prefix}certificate_reloads_total", "Serving certificate reloads after its files changed, by result.", "result");
        certificateExpiry = factory.CreateGauge(
            $"{Prefix}certificate_expiry_timestamp_seconds", "When the serving certificate in use expires, in Unix seconds.",
            new GaugeConfiguration { SuppressInitialValue = true });
        foreach (var outcome in Enum.GetValues<AdmissionOutcome>())
        {
            admissions.WithLabels(Label(outcome.ToString()));
        }

        foreach (var result in Enum.GetValues<SpecResolutionResult>())
        {
            resolutions.WithLabels(Label(result.ToString()));
        }

        reloads.WithLabels("ok");
        reloads.WithLabels("failed");
    }

    /// <summary>Where the metrics are kept; <c>/metrics</c> serves this registry.</summary>
    public CollectorRegistry Registry { get; }

    public void Admitted(AdmissionOutcome outcome, TimeSpan duration)
    {
        admissions.WithLabels(Label(outcome.ToString())).Inc();
        durations.Observe(duration.TotalSeconds);
    }

    public void SpecResolved(SpecResolutionResult result) => resolutions.WithLabels(Label(result.ToString())).Inc();

    public void CertificateReloaded(bool succeeded) => reloads.WithLabels(succeeded ? "ok" : "failed").Inc();

    /// <summary>Records when the serving certificate in use expires.</summary>
    public void CertificateInUse(DateTimeOffset notAfter) => certificateExpiry.Set(notAfter.ToUnixTimeSeconds());

    public long Count(AdmissionOutcome outcome) => (long)admissions.WithLabels(Label(outcome.ToString())).Value;

    public long Count(SpecResolutionResult result) => (long)resolutions.WithLabels(Label(result.ToString())).Value;

    public void Dispose() => runtime.Dispose();

    // FailedOpen becomes failed_open: Prometheus label values are conventionally snake_case.
    private static string Label(string name)
    {
        var label = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && label.Length > 0)
            {
                label.Append('_');
            }

            label.Append(char.ToLowerInvariant(c));
        }

        return label.ToString();
    }
}
