using System.Buffers;
using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>
/// Changes one directory tree for one layer, and only inside it: the tar semantics over a <see cref="ConfinedTree"/>.
/// A path whose parents go through symbolic links the tree already holds is placed where those links lead, as
/// container runtimes place image layers, as long as that stays inside the tree (a writer confined to a directory,
/// for an ORAS folder, follows no links); the real path is then checked to be real directories all the way before
/// anything is created, replaced or removed under it, so no write passes through a link to anywhere else. Whatever
/// already sits at a path is removed first and the entry created anew, so no write lands in an existing inode either
/// (hard-linked files, which may be shared, stay intact).
/// The tree must belong to the caller alone while this runs: the checks do not guard against a concurrent writer.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class TreeWriter : ILayerChanges
{
    private const int CopyBufferSize = 128 * 1024;
    private const long PreallocateFrom = 1024 * 1024;
    private const long WritebackFrom = 128 * 1024;

    private readonly ConfinedTree _tree;
    private readonly string _root;
    private readonly string _digest;
    private readonly ExtractionLimits _limits;
    private readonly TreeBudget _budget;
    private readonly string[] _scope;
    private readonly string _scopeName;
    private readonly bool _absoluteSymlinks;

    // Paths this layer wrote: whiteouts leave them alone, they only hide what lower layers left.
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    /// <param name="root">The target directory, a full path.</param>
    /// <param name="scope">Components of the directory every entry and link must stay in; empty for the whole tree.</param>
    /// <param name="budget">What the whole build may still write; file data is charged before it is written.</param>
    /// <param name="absoluteSymlinks">Rewrite absolute link targets as relative to the tree's root, rather than refuse them.</param>
    /// <param name="owners">Sets the owners entries ask for, as far as the process may.</param>
    public TreeWriter(
        string root, string layerDigest, ExtractionLimits limits, TreeBudget budget, string[] scope, bool absoluteSymlinks, Ownership owners)
    {
        _tree = new ConfinedTree(root, owners, limits.AllowSetuid, rememberDirectories: true);
        _root = root;
        _digest = layerDigest;
        _limits = limits;
        _budget = budget;
        _scope = scope;
        _scopeName = scope.Length == 0 ? "the target directory" : $"the directory \"{EntryPath.Join(scope)}\"";
        _absoluteSymlinks = absoluteSymlinks;
    }

    public long FileBytes { get; private set; }

    public long SetuidBitsStripped => _tree.SetuidBitsStripped;

    /// <summary>Whether an entry's owner could not be kept, since the process may not give files away.</summary>
    public bool OwnersNotKept => _tree.Owners.NotKept;

    /// <summary>Permission, sticky and (if allowed) set-id bits of a tar mode; nothing else reaches the disk.</summary>
    public UnixFileMode Sanitize(UnixFileMode mode) => _tree.Sanitize(mode);

    public async Task WriteFileAsync(
        string entry, string[] components, Stream? data, long length, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified,
        CancellationToken cancellationToken)
    {
        if (length > _limits.MaxFileBytes)
        {
            throw Unsafe(entry, $"the file is {length} bytes, over the limit of {_limits.MaxFileBytes} bytes per file");
        }

        Charge(entry, Math.Max(length, 0));
        var path = PrepareReplace(entry, components);
        var full = Full(path);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            // Reserving the space up front keeps a large file in few extents; for a small one it is one more system call.
            PreallocationSize = length >= PreallocateFrom ? length : 0,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };

        // CreateNew is O_EXCL: should anything have appeared at the path since, it is an error, never followed.
        var output = new FileStream(full, options);
        await using (output.ConfigureAwait(false))
        {
            var before = FileBytes;
            if (data is not null)
            {
                await CopyAsync(entry, data, output, Math.Max(length, 0), cancellationToken).ConfigureAwait(false);
            }

            // The tree is flushed before it is published: a large file's bytes start for the disk now, while the
            // layer's next entries are written, rather than all at once then. (What was written, counted here: the
            // stream's Length would be one more fstat per file.)
            if (FileBytes - before >= WritebackFrom)
            {
                IO.FileSystemSync.StartWriteback(output.SafeFileHandle);
            }
        }

        _tree.SetOwnerAndMode(path, owner, mode);
        File.SetLastWriteTimeUtc(full, modified);
        _written.Add(path);
    }

    /// <summary>
    /// Puts an existing file (a verified blob) at the entry as a hard link, instead of a copy, when the blob already
    /// has the owner and mode the entry must have: they are shared with every other link to it, and are never changed
    /// through the tree. Otherwise the entry is a copy of the blob with them. A link shares the blob's time, so the blob
    /// is given the entry's.
    /// </summary>
    public async Task LinkFileAsync(
        string entry, string[] components, string existingFile, long length, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified,
        CancellationToken cancellationToken)
    {
        if (IO.FileIdentity.Owner(existingFile) != _tree.Owners.Effective(owner) || File.GetUnixFileMode(existingFile) != mode)
        {
            var blob = new FileStream(existingFile, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            await using (blob.ConfigureAwait(false))
            {
                await WriteFileAsync(entry, components, blob, length, owner, mode, modified, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (length > _limits.MaxFileBytes)
        {
            throw Unsafe(entry, $"the file is {length} bytes, over the limit of {_limits.MaxFileBytes} bytes per file");
        }

        Charge(entry, length);
        var path = PrepareReplace(entry, components);
        // A hard link shares the file's inode, time included: the file gets the entry's time, which every tree that
        // links it wants too (the one fixed time of ORAS files), rather than whenever it was downloaded.
        if (File.GetLastWriteTimeUtc(existingFile) != modified)
        {
            File.SetLastWriteTimeUtc(existingFile, modified);
        }

        NativeMethods.CreateHardLink(existingFile, Full(path));
        FileBytes += length;
        _written.Add(path);
    }

    /// <summary>
    /// Puts a file that was written aside for this entry (by <see cref="LayerJournal"/>, on the same file system, with the
    /// entry's owner, mode and time) at the entry, renamed into place: the tree ends as if it had been written there.
    /// Its bytes were charged to the budget when they were written.
    /// </summary>
    public void MoveFileIn(string entry, string[] components, string writtenAside, long length)
    {
        var path = PrepareReplace(entry, components);
        NativeMethods.Rename(writtenAside, Full(path));
        FileBytes += length;
        _written.Add(path);
    }

    public void CreateDirectory(string entry, string[] components, (uint Uid, uint Gid) owner, UnixFileMode mode, DateTime modified)
    {
        var path = EnsureParents(entry, components);
        var kind = Probe(path);
        if (kind != EntryKind.Directory)
        {
            // Directory over directory merges (the spec keeps the lower contents); over anything else, replaces.
            if (kind != EntryKind.Missing)
            {
                _tree.Remove(path, kind);
            }

            _tree.CreateDirectory(path);
        }

        _tree.FinishDirectory(path, owner, mode, modified);
        _written.Add(path);
    }

    public void CreateSymbolicLink(string entry, string[] components, string target, (uint Uid, uint Gid) owner, DateTime modified)
    {
        // The target is read from where the link really lands, which is where the kernel will resolve it.
        var landed = Resolved(entry, components);
        var stored = SymlinkTarget(landed, target, out var problem)
            ?? throw Unsafe(entry, problem);
        var path = PrepareReplace(entry, landed);
        var full = Full(path);
        File.CreateSymbolicLink(full, stored);
        _tree.SetOwnerAndMode(path, owner, null);

        // Sets the link's own time: the runtime does not follow the link here.
        File.SetLastWriteTimeUtc(full, modified);
        _written.Add(path);
    }

    public void CreateHardLink(string entry, string[] components, string linkName)
    {
        var what = $"the hard link target \"{LayerException.Printable(linkName)}\"";
        var named = EntryPath.Normalize(linkName, what, _limits, out var reason) ?? throw Unsafe(entry, reason);
        if (!EntryPath.StartsWith(named, _scope))
        {
            throw Unsafe(entry, $"{what} is outside {_scopeName}");
        }

        var target = !FollowsLinks ? named : InTreeLinks.ResolveParents(_root, named, 0, _scopeName, out var problem, _tree.Probe)
            ?? throw Unsafe(entry, $"{what}: {problem}");
        components = Resolved(entry, components);
        if (!EntryPath.StartsWith(target, _scope))
        {
            throw Unsafe(entry, $"{what} is outside {_scopeName}");
        }

        if (target.Length == _scope.Length)
        {
            throw new InvalidLayerException(_digest, entry, $"{what} is a directory");
        }

        if (EntryPath.StartsWith(target, components))
        {
            throw new InvalidLayerException(_digest, entry, $"{what} is the entry itself or lies inside it");
        }

        var targetPath = EntryPath.Join(target);
        var missing = $"{what} does not exist; a hard link may only point at an entry already extracted";
        switch (_tree.FirstNonDirectory(target.AsSpan(0, target.Length - 1)))
        {
            case { Kind: EntryKind.Symlink } link:
                throw Unsafe(entry, $"{what} lies under the symbolic link \"{LayerException.Printable(EntryPath.Join(target.AsSpan(0, link.Length)))}\"");
            case not null:
                throw Unsafe(entry, missing);
        }

        switch (Probe(targetPath))
        {
            case EntryKind.Missing:
                throw Unsafe(entry, missing);
            case EntryKind.Directory:
                throw new InvalidLayerException(_digest, entry, $"{what} is a directory");
            case EntryKind.Symlink:
                // A second name for a link is a link at a new place: its relative target must be safe from there too.
                var text = new FileInfo(Full(targetPath)).LinkTarget ?? "";
                if (SymlinkTarget(components, text, out _) != text)
                {
                    throw Unsafe(entry, $"{what} is a symbolic link to \"{LayerException.Printable(text)}\", which leads out of {_scopeName} from here");
                }

                break;
        }

        var path = PrepareReplace(entry, components);
        NativeMethods.CreateHardLink(Full(targetPath), Full(path));
        _written.Add(path);
    }

    /// <summary>
    /// Clears the entry's path of what lower layers left, without putting anything there: for an entry that replaces
    /// what was below it but is itself left out (a device node).
    /// </summary>
    public void Forget(string entry, string[] components) => PrepareReplace(entry, components);

    /// <summary>Removes what lower layers left at <paramref name="directory"/>/<paramref name="name"/>.</summary>
    public void Whiteout(string entry, string[] directory, string name)
    {
        directory = FollowsLinks ? InTreeLinks.Resolve(_root, directory, 0, _scopeName, out var problem, _tree.Probe) ?? throw Unsafe(entry, problem) : directory;
        if (!IsDirectory(entry, directory))
        {
            return;
        }

        var path = EntryPath.Join([.. directory, name]);
        var kind = Probe(path);
        if (kind == EntryKind.Missing || _written.Contains(path))
        {
            return;
        }

        _tree.Remove(path, kind);
    }

    /// <summary>Removes everything lower layers left under <paramref name="directory"/>, wherever this layer's entries fall in the tar.</summary>
    public void Opaque(string entry, string[] directory)
    {
        directory = FollowsLinks ? InTreeLinks.Resolve(_root, directory, 0, _scopeName, out var problem, _tree.Probe) ?? throw Unsafe(entry, problem) : directory;
        if (IsDirectory(entry, directory))
        {
            ClearLower(EntryPath.Join(directory));
        }
    }

    /// <summary>Gives directories their final owners, modes and times; call once, after the last entry.</summary>
    public void Finish() => _tree.Finish();

    /// <summary>Counts one more entry of the tree; throws naming the entry when the tree may hold no more.</summary>
    public void CountEntry(string entry)
    {
        if (_budget.TryChargeEntry() is { } problem)
        {
            throw new UnsafeLayerException(_digest, entry, problem) { OverTreeBudget = true };
        }
    }

    private void Charge(string entry, long bytes)
    {
        if (_budget.TryChargeBytes(bytes) is { } problem)
        {
            throw new UnsafeLayerException(_digest, entry, problem) { OverTreeBudget = true };
        }
    }

    /// <param name="charged">Bytes already charged for this file: only data past them is charged as it comes.</param>
    private async Task CopyAsync(string entry, Stream data, FileStream output, long charged, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            long written = 0;
            int n;
            while ((n = await data.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                written += n;
                if (written > _limits.MaxFileBytes)
                {
                    throw Unsafe(entry, $"the file is over the limit of {_limits.MaxFileBytes} bytes per file");
                }

                if (written > charged)
                {
                    Charge(entry, written - charged);
                    charged = written;
                }

                // Written here rather than with WriteAsync: on Unix that is the same write queued to the thread pool,
                // one hop per chunk of every file of a layer, for a call that lands in the page cache.
                output.Write(buffer, 0, n);
                FileBytes += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Makes the parents of a new entry and clears its path; returns the path, relative to the root.</summary>
    private string PrepareReplace(string entry, string[] components)
    {
        var path = EnsureParents(entry, components);
        _tree.Touch(ConfinedTree.Parent(path));
        var kind = Probe(path);
        if (kind != EntryKind.Missing)
        {
            _tree.Remove(path, kind);
        }

        return path;
    }

    /// <summary>
    /// Where the entry lands: its parents followed through the tree's links, refused when that leaves the confining
    /// directory.
    /// </summary>
    private string[] Resolved(string entry, string[] components) =>
        !FollowsLinks ? components : InTreeLinks.ResolveParents(_root, components, 0, _scopeName, out var problem, _tree.Probe) ?? throw Unsafe(entry, problem);

    /// <summary>
    /// Image layers are placed as runtimes place them, through the links lower layers made. An ORAS directory is
    /// confined to its title and never written through a link, as its own tar could only mean the directory itself.
    /// </summary>
    private bool FollowsLinks => _scope.Length == 0;

    /// <summary>
    /// Follows the entry's parents through the tree's links, checks each real parent is a directory, creating missing
    /// ones; returns the path where the entry lands.
    /// </summary>
    private string EnsureParents(string entry, string[] components)
    {
        components = Resolved(entry, components);
        if (_tree.EnsureParents(components, _written) is { } blocked)
        {
            var parent = LayerException.Printable(EntryPath.Join(components.AsSpan(0, blocked.Length)));
            throw blocked.Kind == EntryKind.Symlink
                ? Unsafe(entry, $"its parent \"{parent}\" is a symbolic link, and entries are never written through links")
                : new InvalidLayerException(_digest, entry, $"its parent \"{parent}\" is not a directory");
        }

        return EntryPath.Join(components);
    }

    /// <summary>Whether all of <paramref name="components"/> are real directories; a link on the way is refused.</summary>
    private bool IsDirectory(string entry, string[] components)
    {
        switch (_tree.FirstNonDirectory(components))
        {
            case null:
                return true;
            case { Kind: EntryKind.Symlink } link:
                var path = EntryPath.Join(components.AsSpan(0, link.Length));
                throw Unsafe(entry, $"its directory \"{LayerException.Printable(path)}\" is a symbolic link, and whiteouts are never applied through links");
            default:
                return false;
        }
    }

    private void ClearLower(string directory)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(Full(directory)).ToList())
        {
            // Spelled as the layer's own paths are, "name" at the root, so what this layer wrote is found.
            var path = EntryPath.Join([.. EntryPath.Components(directory), Path.GetFileName(child)]);
            var kind = Probe(path);
            if (!_written.Contains(path))
            {
                _tree.Remove(path, kind);
            }
            else if (kind == EntryKind.Directory)
            {
                // Kept because this layer wrote it, but what lower layers left inside it is hidden all the same.
                ClearLower(path);
            }
        }
    }

    /// <summary>
    /// The target to store for a link at <paramref name="components"/>, or null with the reason it is refused.
    /// A relative target may only start with "..": after a name, ".." would go wherever that name, perhaps a link
    /// made later, points. With that rule, and every link in the tree checked alike, no chain of links leaves the tree.
    /// </summary>
    private string? SymlinkTarget(string[] components, string target, out string problem)
    {
        var shown = LayerException.Printable(target);
        var what = $"the symbolic link target \"{shown}\"";
        if (target.Length == 0)
        {
            problem = "the symbolic link target is empty";
            return null;
        }

        if (target.Contains('\0', StringComparison.Ordinal))
        {
            problem = "the symbolic link target contains a NUL character";
            return null;
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(target);
        if (bytes > _limits.MaxPathLength)
        {
            problem = $"the symbolic link target is {bytes} bytes long, over the limit of {_limits.MaxPathLength}";
            return null;
        }

        var parts = EntryPath.Components(target);
        if (target[0] == '/')
        {
            if (!_absoluteSymlinks)
            {
                problem = $"{what} is absolute";
                return null;
            }

            if (parts.Contains(".."))
            {
                problem = $"{what} is absolute and has a \"..\" component";
                return null;
            }

            // The same entry, reached from the link: up to the tree's root, then down.
            var relative = string.Join('/', Enumerable.Repeat("..", components.Length - 1).Concat(parts));
            problem = "";
            return relative.Length == 0 ? "." : relative;
        }

        var up = parts.TakeWhile(p => p == "..").Count();
        if (parts.Skip(up).Contains(".."))
        {
            problem = $"{what} has a \"..\" after a name, so where it leads would depend on other links";
            return null;
        }

        if (up > components.Length - 1 - _scope.Length)
        {
            problem = $"{what} leads out of {_scopeName}";
            return null;
        }

        problem = "";
        return target;
    }

    private EntryKind Probe(string path) => _tree.Probe(path);

    private string Full(string path) => _tree.Full(path);

    private UnsafeLayerException Unsafe(string? entry, string reason) => new(_digest, entry, reason);
}
