using System.CommandLine;
using OrasAssemble.Cli.Packing;
using OrasAssemble.Oci;
using OrasAssemble.Text;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>pack &lt;ref&gt; &lt;file|dir&gt;[:&lt;mediaType&gt;]...</c>: push files and folders as an ORAS artifact.</summary>
internal static class PackCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("reference")
        {
            Description = "Where to push: registry/repository[:tag], or with --oci-layout <dir>[:<tag>]",
        };
        var files = new Argument<string[]>("file")
        {
            Description = "Files and folders to pack, each optionally followed by :<mediaType>. A folder becomes a tar+gzip layer that pull unpacks",
            HelpName = "file|dir[:mediaType]",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var artifactType = new Option<string?>("--artifact-type")
        {
            Description = $"The manifest's artifactType (default: {ArtifactPacker.DefaultArtifactType})",
            HelpName = "type",
        };
        var annotations = new Option<string[]>("--annotation", "-a")
        {
            Description = "A manifest annotation; repeat for more",
            HelpName = "key=value",
        };

        var command = new Command("pack", "Push files and folders as an ORAS artifact (OCI 1.1 manifest); prints the manifest digest")
        {
            reference,
            files,
            artifactType,
            annotations,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            if (target.Digest is not null)
            {
                throw new UsageException($"{target}: pack pushes to a tag; drop the @digest (the digest is known only once the manifest is made)");
            }

            var type = parseResult.GetValue(artifactType) ?? ArtifactPacker.DefaultArtifactType;
            if (!MediaTypes.IsWellFormed(type))
            {
                throw new UsageException($"--artifact-type {QuotedValue.Of(type)} is not a media type (expected type/subtype)");
            }

            var inputs = (parseResult.GetValue(files) ?? []).Select(PackInput.Parse).ToList();
            var clash = inputs.GroupBy(i => i.Title, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (clash is not null)
            {
                throw new UsageException(
                    $"{string.Join(" and ", clash.Select(i => i.Path))} would both be named {QuotedValue.Of(clash.Key)} in the artifact; rename one");
            }

            var request = new PackRequest(inputs, type, AnnotationArguments.Parse(parseResult.GetValue(annotations) ?? []));
            var store = await context.OpenAsync(target, forWriting: true, cancellationToken).ConfigureAwait(false);
            var manifest = await context.Progress.RunAsync(
                tracker => new ArtifactPacker(tracker, TimeProvider.System).PackAsync(store, request, cancellationToken)).ConfigureAwait(false);

            context.Terminal.Note($"Pushed {target}");
            await context.Terminal.Out.WriteLineAsync(manifest.Digest).ConfigureAwait(false);
        });
        return command;
    }
}
