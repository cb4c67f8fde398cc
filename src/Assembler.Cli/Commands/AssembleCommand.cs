using System.CommandLine;
using OrasAssemble.Cache;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Specs;
using OrasAssemble.Execution;
using OrasAssemble.IO;
using OrasAssemble.Spec;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>assemble &lt;ref|assembly.yaml&gt; --out &lt;dir&gt;</c>: run a spec as the node plugin does, building the tree in the
/// local cache, then give it to the user as a hard-link clone at <c>--out</c>.
/// </summary>
internal static class AssembleCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var what = new Argument<string>("spec")
        {
            Description = "A spec file (.yaml, .yml, .json), or the reference of a pushed spec: registry/repository[:tag][@digest]",
            HelpName = "ref|assembly.yaml",
        };
        var output = new Option<string>("--out")
        {
            Description = "Where the tree goes; must not exist, or be an empty directory. Files are hard links into the cache: replace them, do not edit them",
            HelpName = "dir",
            Required = true,
        };
        var cache = CacheCommand.DirectoryOption();
        var pullPolicy = new Option<string>("--pull-policy")
        {
            Description = "IfNotPresent: reuse the tree this spec last gave without asking any registry; Always: resolve every tag again",
            HelpName = "Always|IfNotPresent",
            DefaultValueFactory = _ => nameof(PullPolicy.IfNotPresent),
        };
        pullPolicy.AcceptOnlyFromAmong(nameof(PullPolicy.Always), nameof(PullPolicy.IfNotPresent));
        var format = new Option<string>("--output")
        {
            Description = "text for people; json for programs: key, tree, out, origin, sources with their digests, special entries left out, whether owners were kept",
            HelpName = "text|json",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json");

        var command = new Command("assemble", "Assemble a spec into a directory tree; prints the tree's key, its path in the cache and the output path")
        {
            what,
            output,
            cache,
            pullPolicy,
            format,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var outPath = parseResult.GetValue(output)!;
            if (TreeCloner.DestinationProblem(outPath) is { } problem)
            {
                throw new UsageException($"--out: {problem}");
            }

            var argument = parseResult.GetValue(what)!;
            var spec = await LoadSpecAsync(context, argument, cancellationToken).ConfigureAwait(false);

            // oci-layout:// sources sit beside the spec file they are written in; a pushed spec's, in the current directory.
            var layoutBase = SpecFile.NamesSpecFile(argument) ? Path.GetDirectoryName(Path.GetFullPath(argument))! : Directory.GetCurrentDirectory();
            var cacheRoot = CacheCommand.Directory(parseResult.GetValue(cache));
            var treeCache = TreeCache.Open(new CacheOptions { Root = cacheRoot });
            var locator = await context.SpecLocatorAsync(cancellationToken).ConfigureAwait(false);
            var policy = Enum.Parse<PullPolicy>(parseResult.GetValue(pullPolicy)!);
            var tree = await new StatusDisplay(context.Terminal).RunAsync("Assembling", report =>
                new TreeAssembler(treeCache).AssembleAsync(
                    new AssemblyRequest
                    {
                        Spec = spec,
                        Locator = locator,
                        Options = new ExecutorOptions
                        {
                            PullPolicy = policy,
                            Progress = report,
                            Concurrency = context.Limits.Concurrency,
                            Limits = context.Limits.Extraction,
                            LayoutBaseDirectory = layoutBase,
                        },
                    },
                    accessCheck: null,
                    cancellationToken)).ConfigureAwait(false);

            TreeCloner.Clone(tree.Path, outPath);
            var stdout = context.Terminal.Out;
            if (parseResult.GetValue(format) == "json")
            {
                await stdout.WriteLineAsync(AssembleReport.Of(tree, Path.GetFullPath(outPath)).ToJson()).ConfigureAwait(false);
                return;
            }

            await stdout.WriteLineAsync($"key:  {tree.Key}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"tree: {tree.Path}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"out:  {Path.GetFullPath(outPath)}").ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<ValidSpec> LoadSpecAsync(CommandContext context, string argument, CancellationToken cancellationToken)
    {
        if (SpecFile.NamesSpecFile(argument))
        {
            return await SpecFile.LoadAsync(argument, cancellationToken).ConfigureAwait(false);
        }

        var target = context.ParseReference(argument);
        var store = await context.OpenAsync(target, forWriting: false, cancellationToken).ConfigureAwait(false);
        var artifact = await SpecArtifactReader.ReadAsync(store.Store, target.ContentReference, target.ToString(), cancellationToken).ConfigureAwait(false);
        return artifact.Spec;
    }
}
