using System.CommandLine;
using OrasAssemble.Cli.Inspection;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>inspect &lt;ref&gt; [--output json]</c>: describe a manifest or index without downloading layers.</summary>
internal static class InspectCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("reference")
        {
            Description = "What to inspect: registry/repository[:tag][@digest], or with --oci-layout <dir>[:<tag>] or <dir>@<digest>",
        };
        var format = new Option<string>("--output")
        {
            Description = "text for people, json for programs",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("inspect", "Show an artifact's or image's media type, digest, artifact type, annotations and layers, or an index's manifests and platforms; for an assembly spec also its sources, resolved, and the spec")
        {
            reference,
            format,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
            // Kind-specific sections; the spec's resolves sources where assemble would read them.
            IArtifactDetailProvider[] providers = [new SpecDetailProvider(await context.SpecLocatorAsync(cancellationToken).ConfigureAwait(false), Platform.Current)];
            var report = await new ArtifactInspector(providers).InspectAsync(store, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(format) == "json")
            {
                InspectionWriter.WriteJson(report, context.Terminal.Out);
            }
            else
            {
                InspectionWriter.WriteText(report, context.Terminal.Out);
            }
        });
        return command;
    }
}
