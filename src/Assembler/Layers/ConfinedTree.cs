using System.Runtime.Versioning;

namespace OrasAssemble.Layers;

/// <summary>
/// A directory tree that one writer changes, and only inside it: what layer extraction and the steps both do to the
/// disk. Paths are relative to the root, components joined by "/" ("" is the root). Parents are checked with lstat
/// to be real directories before anything is created or removed under them, so no write passes through a link;
/// removal never follows a link. Modes lose every bit but permissions, sticky and (if allowed) set-id. Directories
/// get their owners, modes and times when the writer is done (<see cref="Finish"/>), since adding or removing a
/// child changes a directory's time and a read-only mode would stop the children from being written.
/// The tree must belong to the caller alone while this runs: the checks do not guard against a concurrent writer.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class ConfinedTree
{
    /// <summary>The time given to what nothing dates: implicit parent directories, ORAS files, links a step makes.</summary>
    public static readonly DateTime FixedTime = DateTime.UnixEpoch;

    // Octal 0755, 07777 and 0700: C# has no octal literals, binary keeps the rwx groups visible.
    public const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode PermissionBits = (UnixFileMode)0b111_111_111_111;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SetId = UnixFileMode.SetUser | UnixFileMode.SetGroup;

    private readonly string _root;
    private readonly bool _allowSetuid;

    // Directory owners, modes and times to set at the end, by path.
    private readonly Dictionary<string, DirectoryFinish> _directories = new(StringComparer.Ordinal);

    // Paths seen (or made) as real directories: a layer checks the same parents for every entry, and a lstat of each,
    // each time, was most of its system calls. Forgotten whenever a directory is removed or moved, since what lies
    // under it is then something else. Only for a writer that makes every change to the tree through this class.
    private readonly HashSet<string>? _directoriesSeen;

    /// <param name="root">The tree's directory, a full path.</param>
    /// <param name="owners">Sets the owners entries ask for, as far as the process may.</param>
    /// <param name="allowSetuid">Keep set-id bits rather than strip them.</param>
    /// <param name="rememberDirectories">
    /// Remember which paths are directories instead of asking the disk again: only when every removal and every move in
    /// the tree goes through this instance, and nothing else changes the tree meanwhile.
    /// </param>
    public ConfinedTree(string root, Ownership owners, bool allowSetuid, bool rememberDirectories = false)
    {
        _root = root;
        Owners = owners;
        _allowSetuid = allowSetuid;
        _directoriesSeen = rememberDirectories ? new HashSet<string>(StringComparer.Ordinal) : null;
    }

    public Ownership Owners { get; }

    /// <summary>Modes whose setuid or setgid bit <see cref="Sanitize"/> removed.</summary>
    public long SetuidBitsStripped { get; private set; }

    /// <summary>The full path of a directory the caller may write a tree into; throws when it is not one.</summary>
    public static string CheckRoot(string targetDirectory)
    {
        var full = Path.GetFullPath(targetDirectory);
        FileAttributes attributes;
        try
        {
            attributes = File.GetAttributes(full);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ArgumentException($"target directory {targetDirectory} does not exist", nameof(targetDirectory), e);
        }

        if ((attributes & FileAttributes.Directory) == 0 || (attributes & FileAttributes.ReparsePoint) != 0)
        {
            throw new ArgumentException($"target {targetDirectory} is not a directory (a symbolic link is not taken)", nameof(targetDirectory));
        }

        return full;
    }

    /// <summary>Permission, sticky and (if allowed) set-id bits of a mode; nothing else reaches the disk.</summary>
    public UnixFileMode Sanitize(UnixFileMode mode)
    {
        mode &= PermissionBits;
        if (!_allowSetuid && (mode & SetId) != 0)
        {
            mode &= ~SetId;
            SetuidBitsStripped++;
        }

        return mode;
    }

    public string Full(string path) => path.Length == 0 ? _root : Path.Join(_root, path);

    /// <summary>What is at <paramref name="path"/>, a link seen as a link.</summary>
    public EntryKind Probe(string path)
    {
        if (_directoriesSeen is not null && _directoriesSeen.Contains(path))
        {
            return EntryKind.Directory;
        }

        var kind = DiskEntry.Probe(Full(path));
        if (kind == EntryKind.Directory)
        {
            _directoriesSeen?.Add(path);
        }

        return kind;
    }

    /// <summary>
    /// The first of the paths made of the leading components (one, two, … all of them) that is not a real
    /// directory, as the number of components in it and what it is; null when all of them are directories.
    /// </summary>
    public (int Length, EntryKind Kind)? FirstNonDirectory(ReadOnlySpan<string> components)
    {
        for (var i = 1; i <= components.Length; i++)
        {
            var kind = Probe(EntryPath.Join(components[..i]));
            if (kind != EntryKind.Directory)
            {
                return (i, kind);
            }
        }

        return null;
    }

    /// <summary>
    /// Creates the missing parents of the entry at <paramref name="components"/>: root's, 0755, the fixed time.
    /// Returns null when every parent is then a directory, or the first parent that is a link or not a directory
    /// (as <see cref="FirstNonDirectory"/> does); parents made before it stay.
    /// </summary>
    /// <param name="created">Where the paths of the parents made are added, when given.</param>
    public (int Length, EntryKind Kind)? EnsureParents(ReadOnlySpan<string> components, ICollection<string>? created = null)
    {
        for (var i = 1; i < components.Length; i++)
        {
            var parent = EntryPath.Join(components[..i]);
            switch (Probe(parent))
            {
                case EntryKind.Directory:
                    break;
                case EntryKind.Missing:
                    CreateDirectory(parent);
                    SetOwnerAndMode(parent, Ownership.Root, DirectoryMode);
                    _directories[parent] = new DirectoryFinish(null, null, FixedTime);
                    created?.Add(parent);
                    break;
                case var kind:
                    return (i, kind);
            }
        }

        return null;
    }

    /// <summary>Makes an empty directory only its owner can use, until its mode is set; its parent's time is kept.</summary>
    public void CreateDirectory(string path)
    {
        Touch(Parent(path));
        Directory.CreateDirectory(Full(path), OwnerOnly);
        _directoriesSeen?.Add(path);
    }

    /// <summary>Removes the entry at <paramref name="path"/>; a directory with all it holds, links in it not followed.</summary>
    public void Remove(string path, EntryKind kind)
    {
        Touch(Parent(path));

        // The runtime's recursive delete removes links it meets and never descends through them.
        if (kind == EntryKind.Directory)
        {
            _directoriesSeen?.Clear();
            Directory.Delete(Full(path), recursive: true);
        }
        else
        {
            File.Delete(Full(path));
        }
    }

    /// <summary>Gives the entry its owner (lchown), then its mode: chown clears the set-id bits a mode may set.</summary>
    public void SetOwnerAndMode(string path, (uint Uid, uint Gid)? owner, UnixFileMode? mode)
    {
        var full = Full(path);
        if (owner is { } o)
        {
            Owners.Set(full, o);
        }

        if (mode is { } m)
        {
            File.SetUnixFileMode(full, m);
        }
    }

    /// <summary>Remembers a directory's time before its children change, to put it back at the end.</summary>
    public void Touch(string directory)
    {
        // The root's own time and mode belong to the caller.
        if (directory.Length > 0 && !_directories.ContainsKey(directory))
        {
            _directories[directory] = new DirectoryFinish(null, null, Directory.GetLastWriteTimeUtc(Full(directory)));
        }
    }

    /// <summary>What the directory at <paramref name="path"/> gets at the end; a null owner or mode is left as it is then.</summary>
    public void FinishDirectory(string path, (uint Uid, uint Gid)? owner, UnixFileMode? mode, DateTime modified) =>
        _directories[path] = new DirectoryFinish(owner, mode, modified);

    /// <summary>Drops what was to be done at the end to <paramref name="path"/> and the directories under it.</summary>
    public void ForgetDirectories(string path)
    {
        foreach (var gone in _directories.Keys.Where(p => IsWithin(p, path)).ToList())
        {
            _directories.Remove(gone);
        }
    }

    /// <summary>Carries what was to be done at the end to the directories under <paramref name="from"/> to where they moved.</summary>
    public void MoveDirectories(string from, string to)
    {
        _directoriesSeen?.Clear();
        foreach (var (moved, finish) in _directories.Where(d => IsWithin(d.Key, from)).ToList())
        {
            _directories.Remove(moved);
            _directories[to + moved[from.Length..]] = finish;
        }
    }

    /// <summary>Gives directories their final owners, modes and times; call once, after the last change.</summary>
    public void Finish()
    {
        foreach (var (path, finish) in _directories)
        {
            // Later changes may have replaced the directory, or a parent of it with a link: check the whole path again.
            if (FirstNonDirectory(EntryPath.Components(path)) is not null)
            {
                continue;
            }

            SetOwnerAndMode(path, finish.Owner, finish.Mode);
            Directory.SetLastWriteTimeUtc(Full(path), finish.Modified);
        }
    }

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    private static bool IsWithin(string path, string ancestor) =>
        path.Length == ancestor.Length ? path == ancestor : path.StartsWith(ancestor + "/", StringComparison.Ordinal);

    /// <param name="Owner">Null for a directory whose owner stays as it is.</param>
    /// <param name="Mode">Null for a directory whose mode stays as it is.</param>
    private readonly record struct DirectoryFinish((uint Uid, uint Gid)? Owner, UnixFileMode? Mode, DateTime Modified);
}
