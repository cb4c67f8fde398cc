using System.Diagnostics.Metrics;
using OrasAssemble.Content;

namespace OrasAssemble.Tests.Content;

/// <summary>
/// Counts the bytes the library hashes to verify content, as a host listening to its meter would, but only those
/// hashed on the async flow that created it, so tests running at the same time do not add to each other's count.
/// </summary>
internal sealed class VerifiedBytesMeter : IDisposable
{
    private static readonly AsyncLocal<VerifiedBytesMeter?> Current = new();

    private readonly MeterListener _listener = new();
    private long _bytes;

    public VerifiedBytesMeter()
    {
        Current.Value = this;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ContentMetrics.MeterName && instrument.Name == "orasassemble.content.verified_bytes")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (ReferenceEquals(Current.Value, this))
            {
                Interlocked.Add(ref _bytes, value);
            }
        });
        _listener.Start();
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Dispose() => _listener.Dispose();
}
