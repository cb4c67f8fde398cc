using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Spec;

namespace OrasAssemble.Execution;

/// <summary>The copy step: entries taken from a source view into the tree, links that leave the copied path followed.</summary>
[UnsupportedOSPlatform("windows")]
internal sealed partial class StepRunner
{
    /// <param name="lastRead">No later step reads the step's source: its view may be moved into the tree.</param>
    private void Copy(ValidCopyStep step, bool lastRead)
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
            if (lastRead && from == SpecPath.Root && to == SpecPath.Root && step.Mode is null && step.Owner is null && IsEmpty(_root))
            {
                MoveView(scope);
                return;
            }

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
                    _tree.FinishDirectory(InTree(to), null, null, Directory.GetLastWriteTimeUtc(source));
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
    /// What copying the whole view to the empty tree's root gives, by moving the view's entries rather than linking
    /// each: every entry charged to the budget, every file counted as shared (it may be a blob's, or share its inode
    /// with another name of the image), every link checked where it lands, every directory's time kept for the end,
    /// as <see cref="CopyEntry"/> would. Moved directories keep their owners, modes and times (a rename changes none of
    /// them); links inside the view stay links, as a copy of the root keeps them.
    /// </summary>
    private void MoveView(CopyScope scope)
    {
        // The root first, then its entries, in the order a copy entry by entry takes them.
        var entries = Walk(scope.View, "").ToList();
        foreach (var path in entries.Select(e => SpecPath.Root + e.Relative).Prepend(SpecPath.Root))
        {
            if (_budget.TryChargeEntry() is { } full)
            {
                throw new StepException($"copying {path} from source {scope.Source}: {full}");
            }
        }

        foreach (var name in new DirectoryInfo(scope.View).EnumerateFileSystemInfos().Select(i => i.Name).ToList())
        {
            NativeMethods.Rename(Path.Join(scope.View, name), Full(SpecPath.Root + name));
        }

        foreach (var (relative, kind) in entries)
        {
            switch (kind)
            {
                case EntryKind.File:
                    _shared.Add(SpecPath.Root + relative);
                    break;
                case EntryKind.Symlink:
                    _placed.Add(SpecPath.Root + relative);
                    break;
                case EntryKind.Directory:
                    // Its time now, as the view had it, is put back should a later step add to it.
                    _tree.Touch(relative);
                    break;
            }
        }
    }

    private static bool IsEmpty(string directory) => !Directory.EnumerateFileSystemEntries(directory).Any();

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

    /// <param name="Root">The path the step copies: links inside it stay links.</param>
    /// <param name="CopyUnsafeLinks">Copy what a link outside <paramref name="Root"/> points to, rather than the link.</param>
    /// <param name="Owner">The owner every copied entry gets; null keeps the source's.</param>
    /// <param name="Chain">The targets of the links followed to reach the entry being copied, outermost first.</param>
    private sealed record CopyScope(
        string View, string Source, string Root, bool Overwrite, UnixFileMode? Mode, (uint Uid, uint Gid)? Owner, bool CopyUnsafeLinks)
    {
        public IReadOnlyList<string> Chain { get; init; } = [];
    }
}
