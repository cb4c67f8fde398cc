using System.CommandLine;
using OrasAssemble.Content;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>tags &lt;ref&gt;</c>: list a repository's (or a layout's) tags, one per line.</summary>
internal static class TagsCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var reference = new Argument<string>("reference")
        {
            Description = "The repository: registry/repository (a tag given is ignored), or with --oci-layout <dir>; with --store, its tags in the store",
        };

        var command = new Command("tags", "List the tags of a repository or OCI layout") { reference };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var target = context.ParseReference(parseResult.GetValue(reference)!);
            var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
            if (store.Store is not ITagLister lister)
            {
                throw new InvalidOperationException($"{target} cannot list tags");
            }

            // The store holds many repositories, each tag under its full reference: list this repository's, as a registry would.
            var prefix = target.StorePath is null ? null : $"{target.Registry!.Registry}/{target.Registry.Repository}:";
            await foreach (var tag in lister.ListTagsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (prefix is null)
                {
                    await context.Terminal.Out.WriteLineAsync(tag).ConfigureAwait(false);
                }
                else if (tag.StartsWith(prefix, StringComparison.Ordinal) && !tag.Contains('@', StringComparison.Ordinal))
                {
                    await context.Terminal.Out.WriteLineAsync(tag[prefix.Length..]).ConfigureAwait(false);
                }
            }
        });
        return command;
    }
}
