using System.CommandLine;
using OrasAssemble.Cli.Specs;
using OrasAssemble.Layout;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>push &lt;assembly.yaml&gt; &lt;ref&gt; [--lock]</c>: validate a spec and push it as a spec artifact, its base pinned by
/// digest in the annotations; with <c>--lock</c>, every tag in sources and base is first rewritten to its digest.
/// </summary>
internal static class PushCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var file = SpecFile.CreateArgument();
        var reference = new Argument<string>("reference")
        {
            Description = "Where to push: registry/repository[:tag], or with --oci-layout <dir>[:<tag>]",
        };
        var lockOption = new Option<bool>("--lock")
        {
            Description = "Resolve every tag in sources and base to its digest now and push the spec with repository@sha256:… references",
        };

        var noPinBase = new Option<bool>("--no-pin-base")
        {
            Description = "Do not resolve the base image (e.g. a local store without it): the artifact then has no land.oras.assemble.base annotation, and --lock leaves base.image as written",
        };

        var command = new Command("push", "Validate an assembly spec and push it as a spec artifact; prints the manifest digest")
        {
            file,
            reference,
            lockOption,
            noPinBase,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var valid = await SpecFile.LoadAsync(parseResult.GetValue(file)!, cancellationToken).ConfigureAwait(false);
            if (valid.Sources.FirstOrDefault(s => s.Layout is not null) is { } layoutSource)
            {
                // Whoever reads a pushed spec (a node, another machine) does not have this machine's directories.
                throw new UsageException(
                    $"sources.{layoutSource.Name}: {layoutSource.Ref} names a local OCI layout, which a pushed spec cannot: push its content to a registry and name it there");
            }

            var spec = valid.Model;

            var target = context.ParseReference(parseResult.GetValue(reference)!);
            if (target.Digest is not null)
            {
                throw new UsageException($"{target}: push pushes to a tag; drop the @digest (the digest is known only once the manifest is made)");
            }

            // Opened first: with --store, this creates the store that the references are then resolved in.
            var store = await context.OpenAsync(target, forWriting: true, cancellationToken).ConfigureAwait(false);
            var pinner = new SpecPinner(await context.SpecLocatorAsync(cancellationToken).ConfigureAwait(false));
            var pinBase = !parseResult.GetValue(noPinBase);
            var pinnedBase = pinBase && spec.Base is { } baseImage ? await pinner.PinBaseAsync(baseImage, cancellationToken).ConfigureAwait(false) : null;
            if (parseResult.GetValue(lockOption))
            {
                spec = await pinner.LockAsync(spec, lockBase: pinBase, cancellationToken).ConfigureAwait(false);
            }

            var artifact = SpecArtifactBuilder.Build(spec, pinnedBase, TimeProvider.System.GetUtcNow());
            var digest = await SpecArtifactBuilder.PushAsync(store.Store, artifact, target.PushTag, cancellationToken).ConfigureAwait(false);

            context.Terminal.Note($"Pushed {target}");
            await context.Terminal.Out.WriteLineAsync(digest.Digest).ConfigureAwait(false);
        });
        return command;
    }
}
