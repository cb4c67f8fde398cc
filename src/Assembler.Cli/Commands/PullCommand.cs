using System.CommandLine;
using OrasAssemble.Cli.Pulling;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>pull &lt;ref&gt; -o &lt;dir&gt;</c>: write an ORAS artifact's files and folders to disk.</summary>
internal static class PullCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("reference")
        {
            Description = "What to pull: registry/repository[:tag][@digest], or with --oci-layout <dir>[:<tag>] or <dir>@<digest>",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Folder to write the files into (created if missing)",
            HelpName = "dir",
            DefaultValueFactory = _ => ".",
        };

        var platform = new Option<string>("--platform")
        {
            Description = "For an image index: the platform whose manifest to pull, os/arch[/variant], e.g. linux/arm64",
            HelpName = "os/arch[/variant]",
        };

        var command = new Command("pull", "Pull an ORAS artifact: each titled layer becomes a file, folder layers are unpacked; prints the manifest digest")
        {
            reference,
            output,
            platform,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            var wanted = ParsePlatform(parseResult.GetValue(platform));
            var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
            var (manifest, layers) = await context.Progress.RunAsync(
                tracker => new ArtifactPuller(tracker).PullAsync(store, parseResult.GetValue(output)!, wanted, cancellationToken)).ConfigureAwait(false);

            foreach (var skipped in layers.Where(l => l.Title is null))
            {
                context.Terminal.Note($"Skipped layer {skipped.Digest} ({skipped.MediaType}): it has no org.opencontainers.image.title to name a file by");
            }

            context.Terminal.Note($"Pulled {target}");
            await context.Terminal.Out.WriteLineAsync(manifest.Digest).ConfigureAwait(false);
        });
        return command;
    }

    private static Platform? ParsePlatform(string? text)
    {
        try
        {
            return text is null ? null : Platform.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--platform: {e.Message}", e);
        }
    }
}
