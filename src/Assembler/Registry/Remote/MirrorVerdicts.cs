using System.Collections.Concurrent;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// Which mirror served wrong bytes for which digest: a fetch of that digest passes that mirror over, so fetching it
/// again (the cache does, once per lying mirror) reaches the next mirror or the registry. Bounded: when full it starts
/// over, which costs at most one more wrong download per entry forgotten.
/// </summary>
internal sealed class MirrorVerdicts
{
    private const int Capacity = 4096;

    private readonly ConcurrentDictionary<(string Mirror, string Digest), byte> _lied = new();

    public void Lied(string mirror, string digest)
    {
        if (_lied.Count >= Capacity)
        {
            _lied.Clear();
        }

        _lied.TryAdd((mirror, digest), 0);
    }

    public bool HasLied(string mirror, string digest) => _lied.ContainsKey((mirror, digest));
}
