using System.CommandLine;
using OrasAssemble.Cli.Revisions;
using OrasAssemble.Content;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>history &lt;spec-ref&gt; [--referrers]</c>: the revisions a spec descends from, newest first, by following
/// <c>subject</c>; or, with <c>--referrers</c>, the revisions made from it.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("spec-reference")
        {
            Description = "A spec revision: registry/repository[:tag][@digest], or with --oci-layout <dir>[:<tag>] or <dir>@<digest>",
        };
        var referrers = new Option<bool>("--referrers")
        {
            Description = "Instead, list the revisions made from this one (rebases whose subject it is), through the referrers API or its "
                + "sha256-<hex> tag fallback: two of them mean it was rebased twice, e.g. from an old tag",
        };
        var format = new Option<string>("--output")
        {
            Description = "text: one line per revision, \"digest base created\", newest first; json for programs",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("history",
            "List a spec's revisions, newest first, one line each: manifest digest, base image (pinned), creation time. "
            + "Follows each revision's subject back to the first push")
        {
            reference,
            referrers,
            format,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
            var start = await SpecArtifactReader.ReadAsync(store.Store, store.ContentReference, target.ToString(), cancellationToken).ConfigureAwait(false);
            var json = parseResult.GetValue(format) == "json";

            IReadOnlyList<SpecRevision> revisions;
            SpecLineageEnd? brokenAt = null;
            if (parseResult.GetValue(referrers))
            {
                var lister = store.Store as IReferrerLister
                    ?? throw new UsageException($"{target}: this store cannot list referrers");
                revisions = await SpecHistory.SuccessorsAsync(lister, start.ManifestDescriptor, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var lineage = await SpecHistory.WalkAsync(store.Store, start, target.ToString(), cancellationToken).ConfigureAwait(false);
                revisions = lineage.Revisions;
                brokenAt = lineage.BrokenAt;
            }

            if (brokenAt is not null)
            {
                context.Terminal.Note($"The history stops at {brokenAt.Subject.Digest}, the subject of {revisions[^1].Descriptor.Digest}: {brokenAt.Problem}");
            }

            if (json)
            {
                RevisionWriter.WriteJson(new HistoryReport(target.ToString(), revisions.Select(RevisionWriter.Summarise).ToList(),
                    brokenAt is null ? null : new HistoryGap(brokenAt.Subject.Digest, brokenAt.Problem)), context.Terminal.Out);
                return;
            }

            foreach (var revision in revisions)
            {
                RevisionWriter.WriteLine(revision, context.Terminal.Out);
            }
        });
        return command;
    }
}
