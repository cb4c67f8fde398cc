using System.Collections.Concurrent;

namespace OrasAssemble.Threading;

/// <summary>
/// Runs identical work once: callers asking for a key while its work is in flight share that work's result.
/// The work runs to completion even when every caller stops waiting, so a retry finds it done (or joins it). A failure
/// is forgotten when the work ends, so it is never handed to a later caller; a success is forgotten then too, or after
/// the time given to keep it, so that a caller that gave up and asks again collects it instead of doing the work again.
/// </summary>
public sealed class SingleFlight<TResult>
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TResult>>> _inFlight = new(StringComparer.Ordinal);
    private readonly TimeSpan _keepSucceeded;
    private readonly TimeProvider _time;

    public SingleFlight()
        : this(TimeSpan.Zero, TimeProvider.System)
    {
    }

    /// <param name="keepSucceeded">How long a result stays to be shared after its work succeeded.</param>
    /// <param name="time">The clock that times <paramref name="keepSucceeded"/>.</param>
    public SingleFlight(TimeSpan keepSucceeded, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepSucceeded, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _keepSucceeded = keepSucceeded;
        _time = time;
    }

    /// <summary>
    /// The result of the work in flight for <paramref name="key"/>, or of <paramref name="work"/> started now (on the
    /// thread pool, without <paramref name="cancellationToken"/>, which only ends this caller's wait).
    /// </summary>
    public Task<TResult> RunAsync(string key, Func<Task<TResult>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(work);
        Lazy<Task<TResult>>? mine = null;
        mine = new Lazy<Task<TResult>>(() =>
        {
            var task = Task.Run(work, CancellationToken.None);
            _ = task.ContinueWith(t => Forget(key, mine!, t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        });
        var entry = _inFlight.GetOrAdd(key, mine);
        if (entry != mine && entry.IsValueCreated && entry.Value is { IsFaulted: true } or { IsCanceled: true })
        {
            // A failure that ended just now and is not forgotten yet: this caller tries again rather than share it.
            _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<TResult>>>(key, entry));
            entry = _inFlight.GetOrAdd(key, mine);
        }

        return entry.Value.WaitAsync(cancellationToken);
    }

    private void Forget(string key, Lazy<Task<TResult>> entry, Task<TResult> task)
    {
        if (task.IsCompletedSuccessfully && _keepSucceeded > TimeSpan.Zero)
        {
            _ = ForgetLaterAsync(key, entry);
            return;
        }

        _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<TResult>>>(key, entry));
    }

    private async Task ForgetLaterAsync(string key, Lazy<Task<TResult>> entry)
    {
        await Task.Delay(_keepSucceeded, _time).ConfigureAwait(false);
        _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<TResult>>>(key, entry));
    }
}
