using OrasAssemble.Registry;

namespace OrasAssemble.Execution;

/// <summary>Where the content a reference names is read from: a registry, or a local store standing in for one.</summary>
public interface ITargetLocator
{
    LocatedTarget Locate(Reference reference);

    /// <summary>Names the place for cache bookkeeping: the same reference in two places may be different content.</summary>
    string Identity { get; }
}
