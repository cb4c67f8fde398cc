using Microsoft.Extensions.Logging;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// Registry clients shared by volumes with the same credentials and options, so pods of one workload reuse tokens and
/// connections, while different credentials never share a token cache. A client stays alive while any lease on it
/// does (a pull that outlives its call holds one), and is closed once it has been idle for a while.
/// </summary>
internal sealed partial class RegistryClientPool(
    HostSettings hosts, TransferSettings transfer, ICredentialProvider? nodeCredentials, TimeProvider time, ILogger<RegistryClientPool> logger)
    : IDisposable
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, Entry> _clients = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Lease Rent(string fingerprint, Func<ICredentialProvider> credentials, bool plainHttp, bool insecure)
    {
        List<RegistryClient> idle;
        Entry entry;
        lock (_lock)
        {
            idle = SweepIdle();
            if (!_clients.TryGetValue(fingerprint, out entry!))
            {
                entry = new Entry(new RegistryClient(new RegistryClientOptions
                {
                    Credentials = new LayeredCredentialProvider(credentials(), nodeCredentials),
                    Hosts = hosts.WithGlobalOverrides(plainHttp, insecure),
                    Retrying = Retrying,
                    MirrorFailed = MirrorFailed,
                }.WithTransfer(transfer)));
                _clients.Add(fingerprint, entry);
            }

            entry.Leases++;
        }

        foreach (var client in idle)
        {
            client.Dispose();
        }

        return new Lease(this, entry);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var entry in _clients.Values)
            {
                entry.Client.Dispose();
            }

            _clients.Clear();
        }
    }

    /// <summary>Every retry is logged, and quoted by the ABORTED answer of the volume whose pull it is.</summary>
    private void Retrying(RegistryRetry retry)
    {
        var pull = PullProgress.Current;
        pull?.Record(retry);
        LogRetry(logger, pull?.VolumeId ?? "-", retry.Target, retry.Registry, retry.Attempt, retry.MaxAttempts, retry.Cause);
    }

    /// <summary>A mirror passed over is logged; the request goes on to the next mirror or the registry itself.</summary>
    private void MirrorFailed(MirrorFailure failure) =>
        LogMirrorFailed(logger, PullProgress.Current?.VolumeId ?? "-", failure.Mirror, failure.Registry, failure.Target, failure.Cause);

    private List<RegistryClient> SweepIdle()
    {
        var now = time.GetUtcNow();
        var idle = _clients.Where(p => p.Value.Leases == 0 && now - p.Value.LastReleased > IdleLifetime).ToList();
        foreach (var (key, _) in idle)
        {
            _clients.Remove(key);
        }

        return [.. idle.Select(p => p.Value.Client)];
    }

    private void Release(Entry entry)
    {
        lock (_lock)
        {
            entry.Leases--;
            entry.LastReleased = time.GetUtcNow();
        }
    }

    internal sealed class Entry(RegistryClient client)
    {
        public RegistryClient Client { get; } = client;

        public int Leases { get; set; }

        public DateTimeOffset LastReleased { get; set; }
    }

    /// <summary>The right to use a client until disposed.</summary>
    internal sealed class Lease : IDisposable
    {
        private readonly RegistryClientPool _pool;
        private readonly Entry _entry;
        private int _released;

        public Lease(RegistryClientPool pool, Entry entry)
        {
            _pool = pool;
            _entry = entry;
        }

        public RegistryClient Client => _entry.Client;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _pool.Release(_entry);
            }
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning,
        Message = "volume {VolumeId}: retrying {Target} from {Registry}, attempt {Attempt} of {MaxAttempts}, after {Cause}")]
    private static partial void LogRetry(ILogger logger, string volumeId, string target, string registry, int attempt, int maxAttempts, string cause);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning,
        Message = "volume {VolumeId}: mirror {Mirror} for {Registry} passed over for {Target}, after {Cause}; asking the next mirror or the registry")]
    private static partial void LogMirrorFailed(ILogger logger, string volumeId, string mirror, string registry, string target, string cause);
}
