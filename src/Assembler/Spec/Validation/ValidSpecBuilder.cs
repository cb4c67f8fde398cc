using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// Turns a spec that passed validation into its <see cref="ValidSpec"/>: every string the executor acts on is parsed
/// here, once, where the rules have already said it parses.
/// </summary>
internal static class ValidSpecBuilder
{
    /// <param name="model">A spec <see cref="SpecValidator"/> found no error in.</param>
    /// <param name="json">Its canonical JSON.</param>
    public static ValidSpec Build(AssemblySpec model, byte[] json)
    {
        var allowSetuid = model.Options.AllowSetuid;
        var sources = model.Sources.Select(pair => Source(pair.Key, pair.Value)).ToList();
        var steps = model.Steps.Select(step => Step(step, allowSetuid)).ToList();
        var basePlatform = model.Base?.Platform is { } platform ? Platform.Parse(platform) : null;
        return new ValidSpec(model, json, sources, steps, basePlatform);
    }

    /// <summary>Permission bits as the tree gets them: setuid and setgid only when the spec allows them.</summary>
    public static UnixFileMode Mode(string text, bool allowSetuid)
    {
        var mode = SpecMode.Parse(text);
        return allowSetuid ? mode : mode & ~SpecMode.SpecialBits;
    }

    private static ValidSource Source(string name, SourceSpec source)
    {
        var platform = source.Platform is { } text ? Platform.Parse(text) : null;
        return OciLayoutReference.IsLayoutReference(source.Ref)
            ? new ValidSource(name, source, reference: null, OciLayoutReference.Parse(source.Ref), platform)
            : new ValidSource(name, source, Reference.Parse(source.Ref), layout: null, platform);
    }

    private static ValidStep Step(StepSpec step, bool allowSetuid)
    {
        switch (step)
        {
            case CopyStep copy:
                return new ValidCopyStep(
                    copy.From,
                    SpecPath.Normalize(copy.Path ?? SpecPath.Root),
                    Globs(copy.Include),
                    Globs(copy.Exclude),
                    SpecPath.Normalize(copy.To),
                    SpecPath.IsDirectoryForm(copy.To),
                    copy.Mode is null ? null : Mode(copy.Mode, allowSetuid),
                    copy.Owner is null ? null : SpecOwner.Parse(copy.Owner),
                    copy.Overwrite,
                    copy.Links != CopyStep.RefuseLinks);
            case RenameStep rename:
                var from = SpecPath.Normalize(rename.Path);
                var to = SpecPath.IsDirectoryForm(rename.To) ? SpecPath.Combine(rename.To, SpecPath.Name(from)) : SpecPath.Normalize(rename.To);
                return new ValidRenameStep(from, to, rename.Overwrite);
            case RemoveStep remove:
                return new ValidRemoveStep(Path(remove.Path), Globs(remove.Include), Globs(remove.Exclude));
            case LinkStep link:
                var path = SpecPath.Normalize(link.Path);
                var target = link.Target.StartsWith('/') ? SpecPath.RelativeLink(path, SpecPath.Normalize(link.Target)) : link.Target;
                return new ValidLinkStep(path, target, link.Overwrite);
            case ModeStep mode:
                return new ValidModeStep(Path(mode.Path), Globs(mode.Include), Globs(mode.Exclude), Mode(mode.Mode, allowSetuid));
            default:
                throw new ArgumentException($"unknown step kind {step.Kind}", nameof(step));
        }
    }

    private static string? Path(string? path) => path is null ? null : SpecPath.Normalize(path);

    private static List<Glob> Globs(IReadOnlyList<string> patterns) => patterns.Select(Glob.Parse).ToList();
}
