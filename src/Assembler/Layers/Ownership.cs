using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>
/// Gives entries their owners, when the process may (root, as the node plugin runs); otherwise everything belongs to
/// the process and this notes that an owner asked for was not kept, so the caller can say so once.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class Ownership
{
    /// <summary>The owner of what the tree makes itself and of ORAS files: root, as in an image.</summary>
    public static readonly (uint Uid, uint Gid) Root = (0, 0);

    private readonly (uint Uid, uint Gid) _process = NativeMethods.EffectiveOwner();

    /// <param name="mayChown">Whether to set owners; only a privileged process can give files to other users.</param>
    public Ownership(bool mayChown)
    {
        MayChown = mayChown;
    }

    /// <summary>As the process may: owners are set when it is privileged.</summary>
    public static Ownership ForProcess() => new(Environment.IsPrivilegedProcess);

    public bool MayChown { get; }

    /// <summary>Whether some entry was meant to have an owner other than the process, and has the process's.</summary>
    public bool NotKept { get; private set; }

    /// <summary>The owner an entry gets when asked for <paramref name="owner"/>.</summary>
    public (uint Uid, uint Gid) Effective((uint Uid, uint Gid) owner) => MayChown ? owner : _process;

    /// <summary>Sets the entry's own owner (lchown); call before setting its mode, since chown clears set-id bits.</summary>
    public void Set(string fullPath, (uint Uid, uint Gid) owner)
    {
        if (MayChown)
        {
            NativeMethods.SetOwner(fullPath, owner.Uid, owner.Gid);
        }
        else if (owner != _process)
        {
            NotKept = true;
        }
    }

    /// <summary>Takes note of what another writer of the same tree could not keep.</summary>
    public void Add(bool notKept) => NotKept |= notKept;
}
