using System.Security.Cryptography;
using System.Text;
using OrasAssemble.Oci;

namespace OrasAssemble.CsiNode.Tenancy;

/// <summary>
/// Which credentials have lately read which manifest, after kubelet's "ensure secret pulled images" (KEP-2535): a
/// registry read that succeeded with credentials C for a reference as a pod gave it, landing on manifest digest D, is
/// remembered for <c>tenancy.verifiedFor</c>, so a warm publish with the same credentials and the same reference
/// needs no registry request. Credentials are known only by an HMAC-SHA256 under a key drawn at start and held in
/// memory alone: nothing here survives a restart, and nothing here gives the credentials back. Entries are bounded in
/// number; the oldest verification goes first.
/// </summary>
internal sealed class VerifiedAccess
{
    /// <summary>Enough for every (credentials, reference) pair a busy node sees within a few minutes.</summary>
    public const int MaxEntries = 4096;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeSpan _window;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Credentials, string Reference), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byAge = new();
    private readonly Lock _lock = new();

    public VerifiedAccess(TimeSpan window, TimeProvider time, int capacity = MaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(window.Ticks, nameof(window));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _window = window;
        _time = time;
        _capacity = capacity;
    }

    /// <summary>Whether anything is remembered at all (<c>tenancy.verifiedFor</c> above 0).</summary>
    public bool Enabled => _window > TimeSpan.Zero;

    /// <summary>How many verifications are remembered now, expired ones included until they are asked for or pushed out.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The key credentials are remembered under: an HMAC of <paramref name="canonicalCredentials"/> (every secret value
    /// and connection option that decides what a registry answers) under this process's own key.
    /// </summary>
    public string CredentialsId(string canonicalCredentials) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(canonicalCredentials)));

    /// <summary>What <paramref name="credentialsId"/> last read <paramref name="reference"/> as, if that is still within the window.</summary>
    public Verified? Find(string credentialsId, string reference)
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_entries.TryGetValue((credentialsId, reference), out var node))
            {
                return null;
            }

            if (_time.GetUtcNow() - node.Value.At < _window)
            {
                return node.Value.What;
            }

            Remove(node);
            return null;
        }
    }

    /// <summary>Whether <paramref name="credentialsId"/> read <paramref name="reference"/> as <paramref name="digest"/> within the window.</summary>
    public bool Holds(string credentialsId, string reference, string digest) =>
        Find(credentialsId, reference) is { } verified && verified.Digest == digest;

    /// <summary>Remembers a read that succeeded: <paramref name="credentialsId"/> read <paramref name="reference"/> and found <paramref name="digest"/>.</summary>
    /// <param name="manifest">The manifest's descriptor when it is known (to find its bytes in the node's blob store).</param>
    public void Record(string credentialsId, string reference, string digest, Descriptor? manifest = null)
    {
        if (!Enabled)
        {
            return;
        }

        var entry = new Entry((credentialsId, reference), new Verified(digest, manifest?.Digest == digest ? manifest : null), _time.GetUtcNow());
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out var old))
            {
                // A read that found the same digest keeps the descriptor an earlier one gave.
                if (entry.What.Manifest is null && old.Value.What.Digest == digest)
                {
                    entry = entry with { What = old.Value.What };
                }

                Remove(old);
            }

            while (_entries.Count >= _capacity && _byAge.First is { } oldest)
            {
                Remove(oldest);
            }

            _entries[entry.Key] = _byAge.AddLast(entry);
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _byAge.Remove(node);
        _entries.Remove(node.Value.Key);
    }

    /// <summary>A remembered read: the manifest digest found, and its descriptor when the read gave one.</summary>
    internal sealed record Verified(string Digest, Descriptor? Manifest);

    private sealed record Entry((string Credentials, string Reference) Key, Verified What, DateTimeOffset At);
}
