using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Execution;

/// <summary>
/// Carries out a spec's steps on a tree directory that only this runner writes to, taking entries from the
/// source views. Every write checks with lstat that no parent is a link, so nothing is written through one.
/// Files are hard-linked from the views (and through them from the blob store), never written in place: a
/// file that must change its mode is first replaced by a private copy, so no other link sees the change, and that
/// copy is charged to the tree's budget before it is made; so is a file that must change its owner. Entries keep
/// their source's owner and time (a file's are its inode's); directories get their times back when the steps are
/// done, since adding or removing a child changes them. After each step every link the step placed or moved
/// (links inside a moved directory included) is checked to stay inside the tree from where it now lies: whichever
/// step puts a link somewhere, no link in a finished tree leads out of it.
/// A copy of a whole view to the root of a still empty tree, by the last step that reads that source, moves the
/// view's entries into the tree instead of linking each one (the usual spec over one image): the tree gets the same
/// entries with the same owners, modes and times, made once rather than twice.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed partial class StepRunner
{
    private readonly string _root;
    private readonly IReadOnlyDictionary<string, string> _views;
    private readonly TreeBudget _budget;
    private readonly Ownership _owners;

    // Times of the tree's directories are set when the steps are done, as later writes change them. The root's time
    // is the cache's: it tells when the tree was built.
    private readonly ConfinedTree _tree;

    // Tree paths of files that share their inode with something else (a view, a blob, another tree path).
    private readonly HashSet<string> _shared = new(StringComparer.Ordinal);

    // Tree paths where the current step put a link or moved an entry: what the link check looks at when it ends.
    private readonly List<string> _placed = [];

    public StepRunner(string root, IReadOnlyDictionary<string, string> views, bool allowSetuid, TreeBudget budget, Ownership owners)
    {
        _owners = owners;
        _root = root;
        _views = views;
        _budget = budget;
        _tree = new ConfinedTree(root, owners, allowSetuid);
    }

    public void Run(IReadOnlyList<ValidStep> steps, CancellationToken cancellationToken)
    {
        // The root starts as a 0755 directory; a mode step may change it.
        File.SetUnixFileMode(_root, ConfinedTree.DirectoryMode);

        // The last step that reads each source: after it, the source's view may be taken apart.
        var lastReader = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is ValidCopyStep reads)
            {
                lastReader[reads.From] = i;
            }
        }

        for (var i = 0; i < steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = steps[i];
            var where = $"steps[{i}].{step.Kind}";
            try
            {
                switch (step)
                {
                    case ValidCopyStep copy:
                        Copy(copy, lastReader[copy.From] == i);
                        break;
                    case ValidRenameStep rename:
                        Rename(rename);
                        break;
                    case ValidRemoveStep remove:
                        Remove(remove);
                        break;
                    case ValidLinkStep link:
                        Link(link);
                        break;
                    case ValidModeStep mode:
                        SetMode(mode);
                        break;
                    default:
                        throw new StepException($"unknown step kind {step.Kind}");
                }

                CheckPlacedLinks();
            }
            catch (StepException e)
            {
                throw new AssemblyException(where, e.Message);
            }
            catch (IOException e)
            {
                throw new AssemblyException(where, e.Message, e);
            }
        }

        _tree.Finish();
    }

    // ---- rename, remove, link, mode ------------------------------------------------------------------------------

    private void Rename(ValidRenameStep step)
    {
        var (from, to) = (step.From, step.To);
        var kind = Existing(from);
        if (SpecPath.IsWithin(to, from))
        {
            throw new StepException($"cannot move {from} into itself ({to})");
        }

        EnsureParents(to);
        var existing = DiskEntry.Probe(Full(to));
        if (existing != EntryKind.Missing)
        {
            if (!step.Overwrite)
            {
                throw new StepException($"{to} already exists; set overwrite: true to replace it");
            }

            Delete(to, existing);
        }

        NativeMethods.Rename(Full(from), Full(to));
        _placed.Add(to);
        if (kind == EntryKind.File)
        {
            if (_shared.Remove(from))
            {
                _shared.Add(to);
            }
        }
        else if (kind == EntryKind.Directory)
        {
            foreach (var moved in _shared.Where(p => SpecPath.IsWithin(p, from)).ToList())
            {
                _shared.Remove(moved);
                _shared.Add(to + moved[from.Length..]);
            }

            _tree.MoveDirectories(InTree(from), InTree(to));
        }
    }

    private void Remove(ValidRemoveStep step)
    {
        if (step.Path is { } named)
        {
            Delete(named, Existing(named));
            return;
        }

        var (include, exclude) = (step.Include, step.Exclude);
        var doomed = Walk(_root, "")
            .Where(e => include.Any(g => g.IsMatch(e.Relative)) && !exclude.Any(g => g.IsMatch(e.Relative)))
            .ToList();

        // Walk lists parents before children: once a directory is gone, what was under it is too.
        string? last = null;
        foreach (var (relative, kind) in doomed)
        {
            var path = SpecPath.Root + relative;
            if (last is not null && SpecPath.IsWithin(path, last))
            {
                continue;
            }

            Delete(path, kind);
            last = kind == EntryKind.Directory ? path : last;
        }
    }

    private void Link(ValidLinkStep step)
    {
        var (path, target) = (step.Path, step.Target);
        EnsureParents(path);
        var existing = DiskEntry.Probe(Full(path));
        if (existing != EntryKind.Missing)
        {
            if (!step.Overwrite)
            {
                throw new StepException($"{path} already exists; set overwrite: true to replace it");
            }

            Delete(path, existing);
        }

        File.CreateSymbolicLink(Full(path), target);
        _owners.Set(Full(path), Ownership.Root);
        File.SetLastWriteTimeUtc(Full(path), ConfinedTree.FixedTime);
        _placed.Add(path);
    }

    private void SetMode(ValidModeStep step)
    {
        var mode = step.Mode;
        if (step.Path is { } path)
        {
            if (Existing(path) == EntryKind.Symlink)
            {
                throw new StepException($"{path} is a link; a link has no mode of its own");
            }

            Chmod(path, mode);
            return;
        }

        var (include, exclude) = (step.Include, step.Exclude);
        foreach (var (relative, kind) in Walk(_root, ""))
        {
            if (kind != EntryKind.Symlink && include.Any(g => g.IsMatch(relative)) && !exclude.Any(g => g.IsMatch(relative)))
            {
                Chmod(SpecPath.Root + relative, mode);
            }
        }
    }

    // ---- the tree on disk -------------------------------------------------------------------------------------

    private string Full(string path) => _tree.Full(InTree(path));

    /// <summary>A tree path ("/a/b") as the confined tree names it ("a/b"; "" for the root).</summary>
    private static string InTree(string path) => path.TrimStart('/');

    private static string InView(string view, string path) => path == SpecPath.Root ? view : view + path;

    private static string Join(string directory, string relative) =>
        directory == SpecPath.Root ? SpecPath.Root + relative : directory + "/" + relative;

    /// <summary>The kind of an entry that must exist, reached through real directories only.</summary>
    private EntryKind Existing(string path)
    {
        var segments = SpecPath.Segments(path).ToArray();
        if (_tree.FirstNonDirectory(segments.AsSpan(0, Math.Max(segments.Length - 1, 0))) is { Kind: EntryKind.Symlink } link)
        {
            throw new StepException($"{path} lies under a link ({SpecPath.Root + string.Join('/', segments.Take(link.Length))}); links are never followed");
        }

        var kind = DiskEntry.Probe(Full(path));
        return kind != EntryKind.Missing ? kind : throw new StepException($"{path} does not exist");
    }

    /// <summary>
    /// Where a source path really lies in its view: parents that are links the source holds are followed, as a
    /// container would follow them (<c>/bin/busybox</c> in a usr-merged image is <c>/usr/bin/busybox</c>), never out
    /// of the source. The entry itself is not followed: copying a link copies the link.
    /// </summary>
    private static string InSource(string view, string path, string source)
    {
        var segments = SpecPath.Segments(path).ToArray();
        var resolved = InTreeLinks.ResolveParents(view, segments, 0, $"source {source}", out var problem)
            ?? throw new StepException($"path {path} in source {source}: {problem}");
        return SpecPath.Root + string.Join('/', resolved);
    }

    /// <summary>Creates missing parents (0755); a parent that is a link or a file makes the step fail.</summary>
    private void EnsureParents(string path)
    {
        var segments = SpecPath.Segments(path).ToArray();
        if (_tree.EnsureParents(segments) is { } blocked)
        {
            var current = SpecPath.Root + string.Join('/', segments.Take(blocked.Length));
            throw new StepException(blocked.Kind == EntryKind.Symlink
                ? $"cannot write {path}: {current} is a link, and links are never followed"
                : $"cannot write {path}: {current} is a file, not a directory");
        }
    }

    private void Delete(string path, EntryKind kind)
    {
        _tree.Remove(InTree(path), kind);
        if (kind == EntryKind.Directory)
        {
            _shared.RemoveWhere(p => SpecPath.IsWithin(p, path));
            _tree.ForgetDirectories(InTree(path));
        }
        else
        {
            _shared.Remove(path);
        }
    }

    private void Chmod(string path, UnixFileMode mode)
    {
        MakePrivate(path, "mode");
        _tree.SetOwnerAndMode(InTree(path), null, mode);
    }

    /// <summary>Gives an entry of the tree its owner; a file first gets an inode of its own, as for a mode.</summary>
    private void Chown(string path, (uint Uid, uint Gid) owner)
    {
        var full = Full(path);
        if (!_owners.MayChown || OwnerOf(full) == owner)
        {
            // Nothing to change, or nothing the process can change (which the owners note).
            _owners.Set(full, owner);
            return;
        }

        MakePrivate(path, "owner");

        // chown clears the set-id bits of a file; the spec decided them, so they are put back.
        _tree.SetOwnerAndMode(InTree(path), owner, File.GetUnixFileMode(full));
    }

    /// <summary>
    /// Replaces a file that shares its inode (with the blob, a view, another tree path) by a copy with the same
    /// owner, mode and time, so a change to it reaches no other link; the copy is new bytes on disk, so the budget
    /// must allow them before they are written.
    /// </summary>
    private void MakePrivate(string path, string what)
    {
        if (!_shared.Contains(path))
        {
            return;
        }

        var full = Full(path);
        var length = new FileInfo(full).Length;
        if (_budget.TryChargeBytes(length) is { } problem)
        {
            throw new StepException($"changing the {what} of {path} needs a private copy of its {length} bytes, and {problem}");
        }

        _shared.Remove(path);
        var copy = full + "." + what + "-" + Guid.NewGuid().ToString("N");
        File.Copy(full, copy);
        _owners.Set(copy, OwnerOf(full));
        File.SetUnixFileMode(copy, File.GetUnixFileMode(full));
        File.SetLastWriteTimeUtc(copy, File.GetLastWriteTimeUtc(full));
        NativeMethods.Rename(copy, full);
    }

    private static (uint Uid, uint Gid) OwnerOf(string full) =>
        IO.FileIdentity.Owner(full) ?? throw new IOException($"{full} disappeared while the tree was built");

    /// <summary>
    /// Refuses the step when a link it placed, or one inside a directory it moved, leads out of the tree from where it
    /// now lies. Links in a tree are relative with any ".." only at the start, so each one alone says where it leads
    /// and no chain of them can leave the tree.
    /// </summary>
    private void CheckPlacedLinks()
    {
        foreach (var placed in _placed)
        {
            switch (DiskEntry.Probe(Full(placed)))
            {
                case EntryKind.Symlink:
                    CheckLink(placed);
                    break;
                case EntryKind.Directory:
                    foreach (var (relative, kind) in Walk(Full(placed), ""))
                    {
                        if (kind == EntryKind.Symlink)
                        {
                            CheckLink(Join(placed, relative));
                        }
                    }

                    break;
            }
        }

        _placed.Clear();
    }

    private void CheckLink(string path)
    {
        var target = new FileInfo(Full(path)).LinkTarget ?? "";
        var problem = target.StartsWith('/')
            ? $"\"{SpecPath.Show(target)}\" is absolute, and would lead out of the tree wherever it is mounted"
            : SpecPath.LinkTargetProblem(path, target);
        if (problem is not null)
        {
            throw new StepException($"after this step the link {path} is unsafe: {problem}");
        }
    }

    private UnixFileMode Sanitize(UnixFileMode mode) => _tree.Sanitize(mode);

    /// <summary>Entries below a directory, parents before children, names in ordinal order, links not followed.</summary>
    private static IEnumerable<(string Relative, EntryKind Kind)> Walk(string directory, string prefix, bool recursive = true)
    {
        var names = new DirectoryInfo(directory).EnumerateFileSystemInfos()
            .Select(i => i.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var name in names)
        {
            var full = Path.Join(directory, name);
            var relative = prefix.Length == 0 ? name : prefix + "/" + name;
            var kind = DiskEntry.Probe(full);
            yield return (relative, kind);
            if (recursive && kind == EntryKind.Directory)
            {
                foreach (var child in Walk(full, relative))
                {
                    yield return child;
                }
            }
        }
    }

    private sealed class StepException(string message) : Exception(message);
}
