using FluentValidation.Results;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// Rules that look at the steps together. Destinations are followed only where the spec alone names them
/// (a copy of one path, a rename, a link); what globs select is only known when sources are read, and the
/// executor checks the rest then. Runs only on a spec whose shape is right, so it never sees placeholders.
/// </summary>
internal static class CrossStepRules
{
    public static IEnumerable<ValidationFailure> Check(AssemblySpec spec, IReadOnlyList<int> stepIndexes)
    {
        var failures = new List<ValidationFailure>();
        CheckSourcesUsed(spec, failures);
        CheckDestinations(spec, stepIndexes, failures);
        return failures;
    }

    private static void CheckSourcesUsed(AssemblySpec spec, List<ValidationFailure> failures)
    {
        var used = spec.Steps.OfType<CopyStep>().Select(copy => copy.From).ToHashSet(StringComparer.Ordinal);
        if (!used.IsSubsetOf(spec.Sources.Keys))
        {
            // A from naming no source is most likely a misspelt name, reported already; the source it meant is not unused.
            return;
        }

        foreach (var name in spec.Sources.Keys.Where(name => !used.Contains(name)))
        {
            failures.Add(new ValidationFailure(
                FieldPath.Property("sources", name),
                $"source \"{SpecPath.Show(name)}\" is not used by any copy step; remove it, so it is not fetched for nothing"));
        }
    }

    private static void CheckDestinations(AssemblySpec spec, IReadOnlyList<int> stepIndexes, List<ValidationFailure> failures)
    {
        var tree = new Dictionary<string, Entry>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Steps.Count; i++)
        {
            var step = FieldPath.Index("steps", stepIndexes[i]);
            switch (spec.Steps[i])
            {
                case CopyStep copy when Valid(copy.To, directoryForm: true) && (copy.Path is null || SpecPath.SourcePathProblem(copy.Path) is null):
                    var field = step + ".copy.to";
                    var named = copy.Path is not null && copy.Include.Count == 0 && copy.Exclude.Count == 0
                        ? Destination(copy.To, copy.Path)
                        : null;
                    if (named is null)
                    {
                        // Globs or a whole source: only the directory they go into is known.
                        ThroughLink(tree, SpecPath.Normalize(copy.To), field, failures, includeSelf: true);
                    }
                    else
                    {
                        Claim(tree, named, new Entry(step, CopyStep.KindName, IsLink: false), copy.Overwrite, field, failures);
                    }

                    break;
                case RenameStep rename when Valid(rename.Path, directoryForm: false) && Valid(rename.To, directoryForm: true):
                    var from = SpecPath.Normalize(rename.Path);
                    var to = Destination(rename.To, from);
                    if (to is null || SpecPath.IsWithin(to, from))
                    {
                        break;
                    }

                    var moved = Release(tree, from);
                    if (Claim(tree, to, moved.TryGetValue(from, out var self) ? self with { Step = step, Kind = RenameStep.KindName } : new Entry(step, RenameStep.KindName, IsLink: false), rename.Overwrite, step + ".rename.to", failures))
                    {
                        foreach (var (path, entry) in moved.Where(pair => pair.Key != from))
                        {
                            tree[to + path[from.Length..]] = entry;
                        }

                        CheckMovedLinks(moved, from, to, step + ".rename.to", failures);
                    }

                    break;
                case RemoveStep { Path: { } path } when Valid(path, directoryForm: false):
                    Release(tree, SpecPath.Normalize(path));
                    break;
                case RemoveStep remove when remove.Path is null:
                    ReleaseMatching(tree, remove.Include, remove.Exclude);
                    break;
                case LinkStep link when Valid(link.Path, directoryForm: false):
                    var linkPath = SpecPath.Normalize(link.Path);
                    var stored = link.Target.StartsWith('/') ? SpecPath.RelativeLink(linkPath, SpecPath.Normalize(link.Target)) : link.Target;
                    Claim(tree, linkPath, new Entry(step, LinkStep.KindName, IsLink: true, stored), link.Overwrite, step + ".link.path", failures);
                    break;
            }
        }
    }

    /// <summary>A link keeps its relative target when it moves: it must still stay inside the tree from its new place.</summary>
    private static void CheckMovedLinks(Dictionary<string, Entry> moved, string from, string to, string field, List<ValidationFailure> failures)
    {
        foreach (var (path, entry) in moved)
        {
            if (entry.Target is not { } target || SpecPath.LinkTargetProblem(path, target) is not null)
            {
                // Not a link this spec made, or one whose target is reported where it is written.
                continue;
            }

            var now = to + path[from.Length..];
            if (SpecPath.LinkTargetProblem(now, target) is { } problem)
            {
                failures.Add(new ValidationFailure(
                    field,
                    $"moves the link {SpecPath.Show(path)} ({entry.Step}) to {SpecPath.Show(now)}, where {problem}"));
            }
        }
    }

    private static bool Valid(string path, bool directoryForm) =>
        SpecPath.TreePathProblem(path, allowDirectoryForm: directoryForm) is null;

    // Where an entry named by sourcePath lands for a "to" written as a name or as a directory ("/dir/").
    private static string? Destination(string to, string sourcePath)
    {
        if (!SpecPath.IsDirectoryForm(to))
        {
            return SpecPath.Normalize(to);
        }

        var name = SpecPath.Name(sourcePath);
        return name.Length == 0 ? null : SpecPath.Combine(to, name);
    }

    private static bool Claim(Dictionary<string, Entry> tree, string path, Entry entry, bool overwrite, string field, List<ValidationFailure> failures)
    {
        if (ThroughLink(tree, path, field, failures, includeSelf: false))
        {
            return false;
        }

        if (tree.TryGetValue(path, out var earlier) && !overwrite)
        {
            failures.Add(new ValidationFailure(
                field,
                $"\"{SpecPath.Show(path)}\" is already written by {earlier.Step} ({earlier.Kind}); set overwrite: true to replace it"));
            return false;
        }

        if (entry.IsLink || (earlier?.IsLink ?? false))
        {
            // A link replaces a directory and everything in it, and a link replaced is not a directory.
            Release(tree, path);
        }

        tree[path] = entry;
        return true;
    }

    private static bool ThroughLink(Dictionary<string, Entry> tree, string path, string field, List<ValidationFailure> failures, bool includeSelf)
    {
        var segments = SpecPath.Segments(path);
        var limit = includeSelf ? segments.Count : segments.Count - 1;
        var prefix = "";
        for (var i = 0; i < limit; i++)
        {
            prefix += "/" + segments[i];
            if (tree.TryGetValue(prefix, out var entry) && entry.IsLink)
            {
                failures.Add(new ValidationFailure(
                    field,
                    $"\"{SpecPath.Show(path)}\" goes through \"{SpecPath.Show(prefix)}\", which {entry.Step} made a symbolic link; steps never write through links"));
                return true;
            }
        }

        return false;
    }

    private static Dictionary<string, Entry> Release(Dictionary<string, Entry> tree, string path)
    {
        var removed = tree.Where(pair => SpecPath.IsWithin(pair.Key, path)).ToDictionary(StringComparer.Ordinal);
        foreach (var key in removed.Keys)
        {
            tree.Remove(key);
        }

        return removed;
    }

    private static void ReleaseMatching(Dictionary<string, Entry> tree, IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        var includes = Compile(include);
        var excludes = Compile(exclude);
        if (includes is null || excludes is null)
        {
            return;
        }

        // A removed directory takes everything under it, so an entry goes when it or any directory above it matches.
        foreach (var path in tree.Keys.ToList())
        {
            var prefix = "";
            foreach (var segment in SpecPath.Segments(path))
            {
                prefix += "/" + segment;
                if (includes.Any(glob => glob.IsMatch(prefix)) && !excludes.Any(glob => glob.IsMatch(prefix)))
                {
                    tree.Remove(path);
                    break;
                }
            }
        }
    }

    private static List<Glob>? Compile(IReadOnlyList<string> patterns)
    {
        var globs = new List<Glob>();
        foreach (var pattern in patterns)
        {
            if (!Glob.TryParse(pattern, out var glob, out _))
            {
                return null;
            }

            globs.Add(glob);
        }

        return globs;
    }

    private sealed record Entry(string Step, string Kind, bool IsLink, string? Target = null);
}
