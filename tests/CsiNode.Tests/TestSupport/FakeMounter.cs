using OrasAssemble.CsiNode.Mounting;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>A mount table in memory, for the publisher's logic; it can be told to refuse the next bind.</summary>
internal sealed class FakeMounter : IMounter
{
    private readonly Dictionary<string, string> _mounts = new(StringComparer.Ordinal);

    public string? FailNextBind { get; set; }

    /// <summary>How often the whole mount table was read, which a publish should not need.</summary>
    public int TableReads { get; private set; }

    public IReadOnlyDictionary<string, string> Mounts
    {
        get
        {
            lock (_mounts)
            {
                return new Dictionary<string, string>(_mounts);
            }
        }
    }

    public void BindReadOnly(string source, string target)
    {
        if (FailNextBind is { } reason)
        {
            FailNextBind = null;
            throw new IOException(reason);
        }

        lock (_mounts)
        {
            _mounts.Add(target, source);
        }
    }

    public void BindWritable(string source, string target) => BindReadOnly(source, target);

    public void Unmount(string target)
    {
        lock (_mounts)
        {
            _mounts.Remove(target);
        }
    }

    public IReadOnlySet<string> MountPoints()
    {
        lock (_mounts)
        {
            TableReads++;
            return new HashSet<string>(_mounts.Keys, StringComparer.Ordinal);
        }
    }

    public IReadOnlyDictionary<string, string> MountRoots()
    {
        lock (_mounts)
        {
            TableReads++;
            return new Dictionary<string, string>(_mounts, StringComparer.Ordinal);
        }
    }

    public bool IsMountPoint(string path)
    {
        lock (_mounts)
        {
            return _mounts.ContainsKey(path);
        }
    }
}
