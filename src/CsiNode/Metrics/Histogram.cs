namespace OrasAssemble.CsiNode.Metrics;

/// <summary>A Prometheus histogram of one label set: cumulative bucket counts, sum and count.</summary>
internal sealed class Histogram(IReadOnlyList<double> bounds)
{
    private readonly long[] _buckets = new long[bounds.Count];
    private readonly Lock _lock = new();
    private double _sum;
    private long _count;

    public IReadOnlyList<double> Bounds => bounds;

    public void Observe(double value)
    {
        lock (_lock)
        {
            for (var i = 0; i < bounds.Count; i++)
            {
                if (value <= bounds[i])
                {
                    _buckets[i]++;
                }
            }

            _sum += value;
            _count++;
        }
    }

    public (long[] Cumulative, double Sum, long Count) Snapshot()
    {
        lock (_lock)
        {
            return ((long[])_buckets.Clone(), _sum, _count);
        }
    }
}
