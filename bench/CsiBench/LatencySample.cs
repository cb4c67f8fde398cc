using System.Globalization;

namespace OrasAssemble.CsiBench;

/// <summary>Durations of one kind of operation; percentiles by nearest rank, in milliseconds.</summary>
internal sealed class LatencySample
{
    private readonly List<TimeSpan> _durations = [];

    public void Add(TimeSpan duration) => _durations.Add(duration);

    public double Percentile(double p)
    {
        if (_durations.Count == 0)
        {
            throw new InvalidOperationException("no durations recorded");
        }

        var sorted = _durations.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1].TotalMilliseconds;
    }

    /// <summary>p50, p90, p99 and max as "name value" pairs, e.g. <c>publish_p50_ms 3.21</c>.</summary>
    public IEnumerable<(string Name, string Value)> Summary(string prefix) =>
    [
        ($"{prefix}_p50_ms", Format(Percentile(50))),
        ($"{prefix}_p90_ms", Format(Percentile(90))),
        ($"{prefix}_p99_ms", Format(Percentile(99))),
        ($"{prefix}_max_ms", Format(Percentile(100))),
    ];

    private static string Format(double milliseconds) => milliseconds.ToString("0.00", CultureInfo.InvariantCulture);
}
