namespace OrasAssemble.CsiNode.Publishing;

/// <summary>One async lock per key (a target path), so work on different targets never waits on each other.</summary>
internal sealed class KeyedLock
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    public async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        Gate gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(key, out gate!))
            {
                gate = new Gate();
                _gates.Add(key, gate);
            }

            gate.Users++;
        }

        try
        {
            await gate.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, gate);
            throw;
        }

        return new Held(() =>
        {
            gate.Semaphore.Release();
            Leave(key, gate);
        });
    }

    private void Leave(string key, Gate gate)
    {
        lock (_gates)
        {
            if (--gate.Users == 0)
            {
                _gates.Remove(key);
                gate.Semaphore.Dispose();
            }
        }
    }

    private sealed class Gate
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }

    private sealed class Held(Action release) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                release();
            }
        }
    }
}
