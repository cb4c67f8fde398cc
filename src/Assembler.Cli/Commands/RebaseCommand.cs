using System.CommandLine;
using OrasAssemble.Cli.Revisions;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Execution;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>rebase &lt;spec-ref&gt; --base &lt;image-ref&gt; [--tag T] [--force]</c>: push the next revision of a spec on another
/// base image, with <c>subject</c> naming the revision it replaces, and move the tag to it.
/// </summary>
internal static class RebaseCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("spec-reference")
        {
            Description = "The spec revision to rebase: registry/repository[:tag][@digest], or with --oci-layout <dir>[:<tag>] or <dir>@<digest>",
        };
        var baseOption = new Option<string>("--base")
        {
            Description = "The new base image; written into base.image as given (locked to its digest when the spec's base was), pinned by digest in land.oras.assemble.base",
            HelpName = "image-reference",
            Required = true,
        };
        var tagOption = new Option<string?>("--tag")
        {
            Description = "Tag the new revision with this tag (default: the tag of spec-reference, which thus moves to the new revision)",
            HelpName = "tag",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Rebase even when the new base does not provide the spec's platform (base.platform, else the current base's)",
        };
        var format = new Option<string>("--output")
        {
            Description = "text: the new revision's digest; json: the new and previous revision, base and tag",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("rebase",
            "Push a new revision of a spec whose only change is its base image, with subject = the previous revision; prints its digest. "
            + "A new base that does not provide the spec's platform is refused (exit 2) unless --force. No content but the new spec layer and manifest is uploaded.")
        {
            reference,
            baseOption,
            tagOption,
            force,
            format,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            var pushTag = PushTag(target, parseResult.GetValue(tagOption));
            var newBase = parseResult.GetValue(baseOption)!;
            _ = Registry.Reference.Parse(newBase);

            var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
            var previous = await SpecArtifactReader.ReadAsync(store.Store, store.ContentReference, target.ToString(), cancellationToken).ConfigureAwait(false);
            if (previous.Spec.Model.Base is null)
            {
                throw new UsageException($"{target}: the spec has no base image to rebase (it has no base field)");
            }

            var rebaser = new SpecRebaser(await context.SpecLocatorAsync(cancellationToken).ConfigureAwait(false));
            var forced = parseResult.GetValue(force);
            var rebased = await rebaser.RebaseAsync(previous, newBase, forced, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            var pushed = await SpecArtifactBuilder.PushAsync(store.Store, rebased.Artifact, pushTag, cancellationToken).ConfigureAwait(false);

            var platforms = rebased.CheckedPlatforms.Count > 0 ? $" (provides {string.Join(", ", rebased.CheckedPlatforms)})" : forced ? " (platform not checked: --force)" : "";
            context.Terminal.Note($"Rebased {target} onto {rebased.PinnedBase}{platforms}: {previous.ManifestDescriptor.Digest} -> {pushed.Digest}");
            if (pushTag is null)
            {
                context.Terminal.Note("The new revision is not tagged: pass --tag to name it");
            }

            if (parseResult.GetValue(format) == "json")
            {
                RevisionWriter.WriteJson(new RebaseSummary(pushed.Digest, previous.ManifestDescriptor.Digest, rebased.PinnedBase, rebased.Artifact.Spec.Model.Base!.Image,
                    parseResult.GetValue(tagOption) ?? DefaultTag(target), rebased.CheckedPlatforms.Select(p => p.ToString()).ToList(), forced), context.Terminal.Out);
            }
            else
            {
                await context.Terminal.Out.WriteLineAsync(pushed.Digest).ConfigureAwait(false);
            }
        });
        return command;
    }

    /// <summary>The tag to push under: <c>--tag</c>, else the reference's own; in the store, the full reference standing for it.</summary>
    private static string? PushTag(TargetReference target, string? tag)
    {
        if (tag is null)
        {
            var own = DefaultTag(target);
            return own is null ? null : target.StorePath is null ? own : StoreTargetLocator.TagFor(target.Registry!.WithTag(own));
        }

        if (target.IsLayout)
        {
            // Parsing the layout reference with the tag checks the tag's grammar.
            return TargetReference.Parse($"{target.LayoutPath}:{tag}", ociLayout: true).Tag;
        }

        var tagged = target.Registry!.WithTag(tag);
        return target.StorePath is null ? tag : StoreTargetLocator.TagFor(tagged);
    }

    // A reference without tag or digest names "latest", so that is the tag that moves.
    private static string? DefaultTag(TargetReference target) => target.Tag ?? (target.Digest is null ? Registry.Reference.DefaultTag : null);
}
