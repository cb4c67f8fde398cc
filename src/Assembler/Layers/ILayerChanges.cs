using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>
/// What a layer's tar entries ask of a tree, one call per entry in tar order: <see cref="TarExtractor"/> reads the tar
/// and says what each entry is; the implementation decides what that does. <see cref="TreeWriter"/> changes the tree at
/// once; <see cref="LayerJournal"/> writes the files aside and keeps the rest, to change the tree later in the same order.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal interface ILayerChanges
{
    /// <summary>Bytes written into regular files so far.</summary>
    long FileBytes { get; }

    /// <summary>Permission, sticky and (if allowed) set-id bits of a tar mode; nothing else reaches the disk.</summary>
    UnixFileMode Sanitize(UnixFileMode mode);

    /// <summary>Counts one more entry of the tree; throws naming the entry when the tree may hold no more.</summary>
    void CountEntry(string entry);

    Task WriteFileAsync(
        string entry, string[] components, Stream? data, long length, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified,
        CancellationToken cancellationToken);

    void CreateDirectory(string entry, string[] components, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified);

    void CreateSymbolicLink(string entry, string[] components, string target, (uint Uid, uint Gid) owner, DateTime modified);

    void CreateHardLink(string entry, string[] components, string linkName);

    /// <summary>Clears the entry's path of what lower layers left, without putting anything there.</summary>
    void Forget(string entry, string[] components);

    /// <summary>Removes what lower layers left at <paramref name="directory"/>/<paramref name="name"/>.</summary>
    void Whiteout(string entry, string[] directory, string name);

    /// <summary>Removes everything lower layers left under <paramref name="directory"/>.</summary>
    void Opaque(string entry, string[] directory);
}
