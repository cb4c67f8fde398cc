using System.Globalization;
using System.Text;

namespace OrasAssemble.Webhook.Metrics;

/// <summary>
/// The webhook's counters, served at <c>/metrics</c> in the Prometheus text format (version 0.0.4). A handful of
/// series with fixed label values, so a hand-written exposition stays small and exact.
/// </summary>
internal sealed class WebhookMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private const string Prefix = "oras_assemble_webhook_";

    /// <summary>Upper bounds of the admission duration histogram, in seconds.</summary>
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly long[] admissions = new long[Enum.GetValues<AdmissionOutcome>().Length];
    private readonly long[] resolutions = new long[Enum.GetValues<SpecResolutionResult>().Length];
    private readonly long[] durationBuckets = new long[DurationBuckets.Length];
    private readonly Lock durationGate = new();
    private long durationCount;
    private double durationSum;
    private long reloads;
    private long reloadFailures;

    public void Admitted(AdmissionOutcome outcome, TimeSpan duration)
    {
        Interlocked.Increment(ref admissions[(int)outcome]);
        var seconds = duration.TotalSeconds;
        lock (durationGate)
        {
            durationCount++;
            durationSum += seconds;
            for (var i = 0; i < DurationBuckets.Length; i++)
            {
                if (seconds <= DurationBuckets[i])
                {
                    durationBuckets[i]++;
                }
            }
        }
    }

    public void SpecResolved(SpecResolutionResult result) => Interlocked.Increment(ref resolutions[(int)result]);

    public void CertificateReloaded(bool succeeded) => Interlocked.Increment(ref succeeded ? ref reloads : ref reloadFailures);

    public long Count(AdmissionOutcome outcome) => Interlocked.Read(ref admissions[(int)outcome]);

    public long Count(SpecResolutionResult result) => Interlocked.Read(ref resolutions[(int)result]);

    /// <param name="certificateNotAfter">When the serving certificate in use expires.</param>
    public string Render(DateTimeOffset certificateNotAfter)
    {
        var text = new StringBuilder();
        Header(text, "admissions_total", "counter", "Admission reviews answered, by outcome.");
        foreach (var outcome in Enum.GetValues<AdmissionOutcome>())
        {
            Sample(text, "admissions_total", $"outcome=\"{Label(outcome.ToString())}\"", Count(outcome));
        }

        Header(text, "admission_duration_seconds", "histogram", "Time to answer an admission review.");
        lock (durationGate)
        {
            for (var i = 0; i < DurationBuckets.Length; i++)
            {
                Sample(text, "admission_duration_seconds_bucket", $"le=\"{Number(DurationBuckets[i])}\"", durationBuckets[i]);
            }

            Sample(text, "admission_duration_seconds_bucket", "le=\"+Inf\"", durationCount);
            Sample(text, "admission_duration_seconds_sum", null, durationSum);
            Sample(text, "admission_duration_seconds_count", null, durationCount);
        }

        Header(text, "spec_resolutions_total", "counter", "Spec resolutions, by result.");
        foreach (var result in Enum.GetValues<SpecResolutionResult>())
        {
            Sample(text, "spec_resolutions_total", $"result=\"{Label(result.ToString())}\"", Count(result));
        }

        Header(text, "certificate_reloads_total", "counter", "Serving certificate reloads after its files changed, by result.");
        Sample(text, "certificate_reloads_total", "result=\"ok\"", Interlocked.Read(ref reloads));
        Sample(text, "certificate_reloads_total", "result=\"failed\"", Interlocked.Read(ref reloadFailures));

        Header(text, "certificate_expiry_timestamp_seconds", "gauge", "When the serving certificate in use expires, in Unix seconds.");
        Sample(text, "certificate_expiry_timestamp_seconds", null, certificateNotAfter.ToUnixTimeSeconds());
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(Prefix).Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string? labels, double value)
    {
        text.Append(Prefix).Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

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
