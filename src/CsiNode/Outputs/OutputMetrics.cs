using OrasAssemble.CsiNode.Metrics;
using Prometheus;

namespace OrasAssemble.CsiNode.Outputs;

/// <summary>The output volumes' metrics, in the plugin's own registry beside <see cref="NodeMetrics"/>'s, with its prefix.</summary>
internal sealed class OutputMetrics
{
    /// <summary>The fixed set of <c>reason</c> labels of <c>outputs_failed_total</c>.</summary>
    public static readonly string[] Reasons = [Refused, Unavailable, TooLarge, Unreadable, Expired];

    public const string Refused = "refused";
    public const string Unavailable = "unavailable";
    public const string TooLarge = "too_large";
    public const string Unreadable = "unreadable";
    public const string Expired = "expired";

    private readonly Gauge _pending;
    private readonly Counter _pushed;
    private readonly Counter _failed;
    private readonly Counter _skipped;

    public OutputMetrics(NodeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var factory = Prometheus.Metrics.WithCustomRegistry(metrics.Registry);
        _pending = factory.CreateGauge($"{NodeMetrics.Prefix}outputs_pending", "Output volumes unpublished and not yet pushed (the outbox on this node).");
        _pushed = factory.CreateCounter($"{NodeMetrics.Prefix}outputs_pushed_total", "Output volumes pushed, confirmed by the registry and removed from the node.");
        _failed = factory.CreateCounter(
            $"{NodeMetrics.Prefix}outputs_failed_total",
            "Push attempts of output volumes that failed, by reason (refused, unavailable, too_large, unreadable, expired); the output is kept.",
            "reason");
        foreach (var reason in Reasons)
        {
            _failed.WithLabels(reason);
        }

        _skipped = factory.CreateCounter(
            $"{NodeMetrics.Prefix}outputs_skipped_entries_total", "FIFOs, sockets, devices and top-level links that pushed outputs left out.");
    }

    public void SetPending(int entries) => _pending.Set(entries);

    public void Pushed() => _pushed.Inc();

    public void Failed(string reason) => _failed.WithLabels(reason).Inc();

    public void Skipped(int entries) => _skipped.Inc(entries);
}
