using System.Collections.Concurrent;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>
/// A target that records what is pushed to it, in order, and how many pushes were in flight at once; optionally
/// slow, so that concurrency has time to show.
/// </summary>
internal sealed class RecordingTarget(ITarget inner, TimeSpan pushDelay = default) : ITarget, IReferrerLister
{
    private readonly ConcurrentQueue<string> _pushes = new();
    private int _inFlight;
    private int _maxInFlight;

    public ITarget Inner => inner;

    /// <summary>Digests in the order their pushes completed.</summary>
    public IReadOnlyList<string> Pushes => [.. _pushes];

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        var now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        try
        {
            if (pushDelay > TimeSpan.Zero)
            {
                await Task.Delay(pushDelay, cancellationToken);
            }

            await inner.PushAsync(expected, content, cancellationToken);
            _pushes.Enqueue(expected.Digest);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default) => inner.ExistsAsync(target, cancellationToken);

    public Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default) => inner.FetchAsync(target, cancellationToken);

    public Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default) => inner.ResolveAsync(reference, cancellationToken);

    public Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default) => inner.TagAsync(descriptor, reference, cancellationToken);

    public IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, CancellationToken cancellationToken = default) =>
        ((IReferrerLister)inner).FetchReferrersAsync(subject, artifactType, cancellationToken);

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
