using FluentValidation;
using OrasAssemble.Spec.Model;
using OrasAssemble.Text;

namespace OrasAssemble.Spec.Validation;

// The meaning rules for each kind of step. Paths are reported as "<kind>.<field>" below the step's own
// "steps[i]", so an error reads steps[2].copy.to whatever the kind.

internal sealed class CopyRules : AbstractValidator<CopyStep>
{
    /// <param name="sourceNames">The names under sources as written, or null when sources is not a mapping
    /// (then that is the error, and every from would be reported for nothing).</param>
    public CopyRules(AssemblySpec spec, IReadOnlyList<string>? sourceNames)
    {
        RuleFor(step => step.From)
            .Satisfies(from => SourceProblem(sourceNames!, from))
            .When(_ => sourceNames is not null)
            .OverridePropertyName("copy.from");
        RuleFor(step => step)
            .Must(step => step.Path is not null || step.Include.Count > 0)
            .WithMessage("copy needs path, include, or both")
            .OverridePropertyName("copy");
        RuleFor(step => step.Path!).Satisfies(SpecPath.SourcePathProblem).When(step => step.Path is not null).OverridePropertyName("copy.path");
        RuleForEach(step => step.Include).Satisfies(Glob.Problem).OverridePropertyName("copy.include");
        RuleForEach(step => step.Exclude).Satisfies(Glob.Problem).OverridePropertyName("copy.exclude");
        RuleFor(step => step.To)
            .Satisfies(to => SpecPath.TreePathProblem(to, allowDirectoryForm: true))
            .Must(SpecPath.IsDirectoryForm)
            .When(step => step.Include.Count > 0 || step.Exclude.Count > 0, ApplyConditionTo.CurrentValidator)
            .WithMessage("with include or exclude, to names a directory and must end with '/'")
            .OverridePropertyName("copy.to");
        RuleFor(step => step.Mode!).Satisfies(mode => ModeRule.Problem(mode, spec.Options)).When(step => step.Mode is not null).OverridePropertyName("copy.mode");
        RuleFor(step => step.Owner!).Satisfies(SpecOwner.Problem).When(step => step.Owner is not null).OverridePropertyName("copy.owner");
    }

    private static string? SourceProblem(IReadOnlyList<string> names, string from)
    {
        if (names.Contains(from))
        {
            return null;
        }

        var known = names.Count == 0 ? "" : $"; the sources are {string.Join(", ", names.Take(8))}{(names.Count > 8 ? ", ..." : "")}";
        var hint = Suggestion.Closest(from, names) is { } close ? $"; did you mean \"{close}\"?" : known;
        return $"source \"{SpecPath.Show(from)}\" is not defined under sources" + hint;
    }
}

internal sealed class RenameRules : AbstractValidator<RenameStep>
{
    public RenameRules()
    {
        RuleFor(step => step.Path).Satisfies(path => SpecPath.TreePathProblem(path)).OverridePropertyName("rename.path");
        RuleFor(step => step.To)
            .Satisfies(to => SpecPath.TreePathProblem(to, allowDirectoryForm: true))
            .DependentRules(() => RuleFor(step => step)
                .Must(step => SpecPath.TreePathProblem(step.Path) is not null || !MovesIntoItself(step))
                .WithMessage(step => $"cannot move \"{SpecPath.Show(step.Path)}\" onto or into itself")
                .OverridePropertyName("rename.to"))
            .OverridePropertyName("rename.to");
    }

    private static bool MovesIntoItself(RenameStep step)
    {
        var from = SpecPath.Normalize(step.Path);
        var to = SpecPath.IsDirectoryForm(step.To) ? SpecPath.Combine(step.To, SpecPath.Name(from)) : SpecPath.Normalize(step.To);
        return SpecPath.IsWithin(to, from);
    }
}

internal sealed class RemoveRules : AbstractValidator<RemoveStep>
{
    public RemoveRules()
    {
        Selection.AddRules(this, RemoveStep.KindName, step => step.Path, step => step.Include, step => step.Exclude);
        RuleFor(step => step.Path!)
            .Satisfies(path => path == SpecPath.Root ? "cannot remove the root '/'" : SpecPath.TreePathProblem(path))
            .When(step => step.Path is not null)
            .OverridePropertyName("remove.path");
    }
}

internal sealed class LinkRules : AbstractValidator<LinkStep>
{
    public LinkRules()
    {
        RuleFor(step => step.Path).Satisfies(path => SpecPath.TreePathProblem(path)).OverridePropertyName("link.path");
        // Where a relative target leads depends on the link's own path, so it is checked only once that is valid.
        RuleFor(step => step)
            .Must(step => SpecPath.LinkTargetProblem(step.Path, step.Target) is null)
            .When(step => SpecPath.TreePathProblem(step.Path) is null)
            .WithMessage(step => SpecPath.LinkTargetProblem(step.Path, step.Target)!)
            .OverridePropertyName("link.target");
    }
}

internal sealed class ModeRules : AbstractValidator<ModeStep>
{
    public ModeRules(SpecOptions options)
    {
        Selection.AddRules(this, ModeStep.KindName, step => step.Path, step => step.Include, step => step.Exclude);
        RuleFor(step => step.Path!)
            .Satisfies(path => SpecPath.TreePathProblem(path, allowRoot: true))
            .When(step => step.Path is not null)
            .OverridePropertyName("mode.path");
        RuleFor(step => step.Mode).Satisfies(mode => ModeRule.Problem(mode, options)).OverridePropertyName("mode.mode");
    }
}

/// <summary>Steps that act on what is already in the tree pick it either by path or by include/exclude globs.</summary>
internal static class Selection
{
    public static void AddRules<T>(
        AbstractValidator<T> validator,
        string kind,
        Func<T, string?> path,
        Func<T, IReadOnlyList<string>> include,
        Func<T, IReadOnlyList<string>> exclude)
    {
        validator.RuleFor(step => step)
            .Must(step => path(step) is null || include(step).Count == 0)
            .WithMessage($"{kind} takes either path or include, not both")
            .Must(step => path(step) is not null || include(step).Count > 0)
            .WithMessage($"{kind} needs path or include")
            .OverridePropertyName(kind);
        validator.RuleFor(step => step)
            .Must(step => exclude(step).Count == 0 || include(step).Count > 0)
            .WithMessage("exclude only applies together with include")
            .OverridePropertyName(kind + ".exclude");
        validator.RuleForEach(step => include(step)).Satisfies(Glob.Problem).OverridePropertyName(kind + ".include");
        validator.RuleForEach(step => exclude(step)).Satisfies(Glob.Problem).OverridePropertyName(kind + ".exclude");
    }
}

internal static class ModeRule
{
    public static string? Problem(string text, SpecOptions options)
    {
        if (SpecMode.Problem(text) is { } problem)
        {
            return problem;
        }

        return !options.AllowSetuid && SpecMode.SetsSpecialBits(SpecMode.Parse(text))
            ? $"{QuotedValue.Of(text)} sets the setuid or setgid bit; that needs options.allowSetuid: true"
            : null;
    }
}
