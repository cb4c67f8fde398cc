using System.Collections.Concurrent;

namespace OrasAssemble.Threading;

/// <summary>
/// Runs identical work once: callers asking for a key while its work is in flight share that work's result.
/// The work runs to completion even when every caller stops waiting, so a retry finds it done; it is
/// forgotten when it completes, so a failure is not handed to later callers.
/// </summary>
internal sealed class SingleFlight<TResult>
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TResult>>> _inFlight = new(StringComparer.Ordinal);

    public Task<TResult> RunAsync(string key, Func<Task<TResult>> work, CancellationToken cancellationToken)
    {
        Lazy<Task<TResult>>? mine = null;
        mine = new Lazy<Task<TResult>>(() =>
        {
            var task = Task.Run(work, CancellationToken.None);
            _ = task.ContinueWith(_ => _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<TResult>>>(key, mine!)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        });
        return _inFlight.GetOrAdd(key, mine).Value.WaitAsync(cancellationToken);
    }
}
