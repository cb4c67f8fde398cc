using System.Runtime.Versioning;
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
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class StepRunner
{
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode PermissionBits = (UnixFileMode)0b111_111_111_111;

    private readonly string _root;
    private readonly IReadOnlyDictionary<string, string> _views;
    private readonly bool _allowSetuid;
    private readonly TreeBudget _budget;
    private readonly Ownership _owners;

    // Times of the tree's directories, by tree path: set when the steps are done, as later writes change them. The
    // root's time is the cache's: it tells when the tree was built.
    private readonly Dictionary<string, DateTime> _directoryTimes = new(StringComparer.Ordinal);

    // Tree paths of files that share their inode with something else (a view, a blob, another tree path).
    private readonly HashSet<string> _shared = new(StringComparer.Ordinal);

    // Tree paths where the current step put a link or moved an entry: what the link check looks at when it ends.
    private readonly List<string> _placed = [];

    public StepRunner(string root, IReadOnlyDictionary<string, string> views, bool allowSetuid, TreeBudget budget, Ownership owners)
    {
        _owners = owners;
        _root = root;
        _views = views;
        _allowSetuid = allowSetuid;
        _budget = budget;
    }

    public void Run(IReadOnlyList<ValidStep> steps, CancellationToken cancellationToken)
    {
        // The root starts as a 0755 directory; a mode step may change it.
        File.SetUnixFileMode(_root, DirectoryMode);
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
                        Copy(copy);
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

        foreach (var (path, time) in _directoryTimes)
        {
            if (DiskEntry.Probe(Full(path)) == EntryKind.Directory)
            {
                Directory.SetLastWriteTimeUtc(Full(path), time);
            }
        }
    }

    // ---- copy --------------------------------------------------------------------------------------------------

    private void Copy(ValidCopyStep step)
    {
        var view = _views.TryGetValue(step.From, out var v) ? v : throw new StepException($"source \"{step.From}\" is not defined");
        var named = step.Path;
        var from = InSource(view, named, step.From);
        var fromFull = InView(view, from);
        var kind = DiskEntry.Probe(fromFull);
        if (kind == EntryKind.Missing)
        {
            throw new StepException($"path {named} does not exist in source {step.From}");
        }

        var scope = new CopyScope(view, step.From, from, step.Overwrite, step.Mode, step.Owner, step.CopyLinks);
        if (step.Include.Count == 0 && step.Exclude.Count == 0)
        {
            var to = step.IntoDirectory && from != SpecPath.Root ? SpecPath.Combine(step.To, SpecPath.Name(from)) : step.To;
            CopyEntry(scope, from, to, kind);
            return;
        }

        if (kind != EntryKind.Directory)
        {
            throw new StepException($"path {from} in source {step.From} is not a directory, so include and exclude cannot select in it");
        }

        var (include, exclude) = (step.Include, step.Exclude);
        var selected = 0;
        foreach (var (relative, entryKind) in Walk(fromFull, ""))
        {
            if (entryKind == EntryKind.Directory
                || (include.Count > 0 && !include.Any(g => g.IsMatch(relative)))
                || exclude.Any(g => g.IsMatch(relative)))
            {
                continue;
            }

            selected++;
            CopyEntry(scope, Join(from, relative), SpecPath.Combine(step.To, relative), entryKind);
        }

        if (selected == 0)
        {
            throw new StepException($"include and exclude select no file under {from} in source {step.From}");
        }
    }

    private void CopyEntry(CopyScope scope, string from, string to, EntryKind kind)
    {
        if (kind == EntryKind.Symlink && scope.CopyUnsafeLinks && Referent(scope, from) is { } referent)
        {
            CopyEntry(scope with { Chain = [.. scope.Chain, referent.Path] }, referent.Path, to, referent.Kind);
            return;
        }

        if (_budget.TryChargeEntry() is { } full)
        {
            throw new StepException($"copying {from} from source {scope.Source}: {full}");
        }

        var source = InView(scope.View, from);
        EnsureParents(to);
        var target = Full(to);
        var existing = DiskEntry.Probe(target);
        if (existing != EntryKind.Missing && !(existing == EntryKind.Directory && kind == EntryKind.Directory))
        {
            if (!scope.Overwrite)
            {
                throw new StepException($"{to} already exists; set overwrite: true to replace it");
            }

            Delete(to, existing);
        }

        switch (kind)
        {
            case EntryKind.File:
                NativeMethods.CreateHardLink(source, target);
                _shared.Add(to);
                if (scope.Owner is { } owner)
                {
                    Chown(to, owner);
                }

                if (scope.Mode is { } mode)
                {
                    Chmod(to, mode);
                }

                break;
            case EntryKind.Symlink:
                // Views hold relative links only: reading an image turns an absolute target into the relative link to
                // the same entry, and ORAS folders may not hold absolute links at all. Where it lands is checked after the step.
                var link = new FileInfo(source);
                File.CreateSymbolicLink(target, link.LinkTarget!);
                _owners.Set(target, scope.Owner ?? OwnerOf(source));
                File.SetLastWriteTimeUtc(target, link.LastWriteTimeUtc);
                _placed.Add(to);
                break;
            case EntryKind.Directory:
                if (existing == EntryKind.Missing)
                {
                    Directory.CreateDirectory(target);
                    _owners.Set(target, scope.Owner ?? OwnerOf(source));
                    File.SetUnixFileMode(target, Sanitize(File.GetUnixFileMode(source)));
                    _directoryTimes[to] = Directory.GetLastWriteTimeUtc(source);
                }
                else if (scope.Owner is { } merged)
                {
                    Chown(to, merged);
                }

                foreach (var (relative, childKind) in Walk(source, "", recursive: false))
                {
                    CopyEntry(scope, Join(from, relative), Join(to, relative), childKind);
                }

                break;
        }
    }

    /// <summary>
    /// For a link whose target lies outside the path the step copies, what it points to (the way rsync's
    /// --copy-unsafe-links copies it); null for a link that stays inside, which is copied as a link. The target must
    /// exist inside the source: one that leaves the source or is missing is an error.
    /// </summary>
    private static (string Path, EntryKind Kind)? Referent(CopyScope scope, string from)
    {
        var text = new FileInfo(InView(scope.View, from)).LinkTarget ?? "";
        var lands = SpecPath.ResolveLinkTarget(from, text);
        if (lands is not null && SpecPath.IsWithin(lands, scope.Root))
        {
            return null;
        }

        var what = $"link {from} in source {scope.Source} points to \"{SpecPath.Show(text)}\"";
        if (lands is null)
        {
            throw new StepException($"{what}, which is outside the source; set links: refuse to keep such links as links");
        }

        if (scope.Chain.Count >= InTreeLinks.MaxLinks)
        {
            throw new StepException($"{what}: more than {InTreeLinks.MaxLinks} links followed from one copied entry");
        }

        var real = InTreeLinks.Resolve(scope.View, SpecPath.Segments(lands), 0, $"source {scope.Source}", out var problem)
            ?? throw new StepException($"{what}: {problem}");
        var path = SpecPath.Root + string.Join('/', real);

        // What is being copied already (the step's path, and each link's target on the way here) must not be copied
        // again inside itself: that would never end.
        if (scope.Chain.Prepend(scope.Root).FirstOrDefault(copying => SpecPath.IsWithin(copying, path)) is { } cycle)
        {
            throw new StepException($"{what}, which holds {cycle}, already being copied: the links make a cycle");
        }

        var kind = DiskEntry.Probe(InView(scope.View, path));
        return kind != EntryKind.Missing
            ? (path, kind)
            : throw new StepException($"{what}, which does not exist in the source; set links: refuse to keep such links as links");
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

            foreach (var (moved, time) in _directoryTimes.Where(d => SpecPath.IsWithin(d.Key, from)).ToList())
            {
                _directoryTimes.Remove(moved);
                _directoryTimes[to + moved[from.Length..]] = time;
            }
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
        File.SetLastWriteTimeUtc(Full(path), TreeWriter.FixedTime);
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

    private string Full(string path) => path == SpecPath.Root ? _root : _root + path;

    private static string InView(string view, string path) => path == SpecPath.Root ? view : view + path;

    private static string Join(string directory, string relative) =>
        directory == SpecPath.Root ? SpecPath.Root + relative : directory + "/" + relative;

    /// <summary>The kind of an entry that must exist, reached through real directories only.</summary>
    private EntryKind Existing(string path)
    {
        RequireRealParents(_root, path, path);
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

    private static void RequireRealParents(string root, string path, string what)
    {
        var current = root;
        var segments = SpecPath.Segments(path);
        for (var i = 0; i < segments.Count - 1; i++)
        {
            current += "/" + segments[i];
            var kind = DiskEntry.Probe(current);
            if (kind == EntryKind.Symlink)
            {
                throw new StepException($"{what} lies under a link ({SpecPath.Root + string.Join('/', segments.Take(i + 1))}); links are never followed");
            }

            if (kind != EntryKind.Directory)
            {
                return;
            }
        }
    }

    /// <summary>Creates missing parents (0755); a parent that is a link or a file makes the step fail.</summary>
    private void EnsureParents(string path)
    {
        var segments = SpecPath.Segments(path);
        var current = "";
        for (var i = 0; i < segments.Count - 1; i++)
        {
            current += "/" + segments[i];
            switch (DiskEntry.Probe(Full(current)))
            {
                case EntryKind.Missing:
                    Directory.CreateDirectory(Full(current));
                    _owners.Set(Full(current), Ownership.Root);
                    File.SetUnixFileMode(Full(current), DirectoryMode);
                    _directoryTimes[current] = TreeWriter.FixedTime;
                    break;
                case EntryKind.Symlink:
                    throw new StepException($"cannot write {path}: {current} is a link, and links are never followed");
                case EntryKind.File:
                    throw new StepException($"cannot write {path}: {current} is a file, not a directory");
            }
        }
    }

    private void Delete(string path, EntryKind kind)
    {
        if (kind == EntryKind.Directory)
        {
            // Directory.Delete removes links inside without following them.
            Directory.Delete(Full(path), recursive: true);
            _shared.RemoveWhere(p => SpecPath.IsWithin(p, path));
            foreach (var gone in _directoryTimes.Keys.Where(p => SpecPath.IsWithin(p, path)).ToList())
            {
                _directoryTimes.Remove(gone);
            }
        }
        else
        {
            File.Delete(Full(path));
            _shared.Remove(path);
        }
    }

    private void Chmod(string path, UnixFileMode mode)
    {
        MakePrivate(path, "mode");
        File.SetUnixFileMode(Full(path), mode);
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
        var mode = File.GetUnixFileMode(full);
        _owners.Set(full, owner);

        // chown clears the set-id bits of a file; the spec decided them, so they are put back.
        File.SetUnixFileMode(full, mode);
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

    private UnixFileMode Sanitize(UnixFileMode mode)
    {
        mode &= PermissionBits;
        return _allowSetuid ? mode : mode & ~SpecMode.SpecialBits;
    }

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

    /// <param name="Root">The path the step copies: links inside it stay links.</param>
    /// <param name="CopyUnsafeLinks">Copy what a link outside <paramref name="Root"/> points to, rather than the link.</param>
    /// <param name="Owner">The owner every copied entry gets; null keeps the source's.</param>
    /// <param name="Chain">The targets of the links followed to reach the entry being copied, outermost first.</param>
    private sealed record CopyScope(
        string View, string Source, string Root, bool Overwrite, UnixFileMode? Mode, (uint Uid, uint Gid)? Owner, bool CopyUnsafeLinks)
    {
        public IReadOnlyList<string> Chain { get; init; } = [];
    }

    private sealed class StepException(string message) : Exception(message);
}
