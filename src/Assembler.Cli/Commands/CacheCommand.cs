using System.CommandLine;
using System.Globalization;
using OrasAssemble.Cache;
using OrasAssemble.Cli.Progress;
using OrasAssemble.Settings;
using YamlDotNet.RepresentationModel;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>cache du</c> and <c>cache prune --budget &lt;size&gt;</c>: what the local cache of blobs and trees holds, and trimming
/// it the way the node plugin trims its own (idle trees least recently used first, then blobs no tree links to).
/// </summary>
internal static class CacheCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var command = new Command("cache", "Show or trim the local cache of blobs and trees that assemble builds in");
        command.Subcommands.Add(Usage(global, terminal));
        command.Subcommands.Add(Prune(global, terminal));
        return command;
    }

    /// <summary>The <c>--cache</c> option every verb that uses the cache takes.</summary>
    public static Option<string?> DirectoryOption() => new("--cache")
    {
        Description = "The cache of blobs and trees (default: $XDG_CACHE_HOME/oras-assemble, else ~/.cache/oras-assemble)",
        HelpName = "dir",
    };

    /// <summary>The cache directory named by <c>--cache</c>, else the XDG base directory convention's, where other tools put theirs.</summary>
    public static string Directory(string? named)
    {
        if (named is not null)
        {
            return named;
        }

        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "oras-assemble");
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new UsageException("no home directory to keep the cache in; name one with --cache");
        }

        return Path.Combine(home, ".cache", "oras-assemble");
    }

    private static Command Usage(GlobalOptions global, Terminal terminal)
    {
        var cache = DirectoryOption();
        var command = new Command("du", "Print how many trees and blobs the cache holds and their disk bytes, each file counted once") { cache };
        VerbAction.Set(command, global, terminal, async (parseResult, context, _) =>
        {
            var usage = Open(parseResult.GetValue(cache)).MeasureUsage();
            var stdout = context.Terminal.Out;
            await stdout.WriteLineAsync(Line("trees:", usage.Trees)).ConfigureAwait(false);
            await stdout.WriteLineAsync(Line("blobs:", usage.Blobs)).ConfigureAwait(false);
            await stdout.WriteLineAsync(Line("blob bytes:", usage.BlobBytes)).ConfigureAwait(false);
            await stdout.WriteLineAsync(Line("tree bytes:", usage.TreeBytes) + "  (not shared with a blob)").ConfigureAwait(false);
            await stdout.WriteLineAsync(Line("total bytes:", usage.TotalBytes) + $"  ({ByteSize.Format(usage.TotalBytes)})").ConfigureAwait(false);
        });
        return command;
    }

    private static Command Prune(GlobalOptions global, Terminal terminal)
    {
        var cache = DirectoryOption();
        var budget = new Option<string>("--budget")
        {
            Description = "The disk bytes the cache may keep, such as 20Gi, 500Mi or 1048576; 0 removes every idle tree and unlinked blob",
            HelpName = "size",
            Required = true,
        };
        var minIdle = new Option<string?>("--min-idle")
        {
            Description = "Keep trees used and blobs written more recently than this, such as 90s, 10m or 2h (default: 0s)",
            HelpName = "duration",
        };
        var command = new Command("prune", "Remove idle trees, least recently used first, then blobs no tree links to, until the cache fits its budget")
        {
            cache,
            budget,
            minIdle,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, _) =>
        {
            var errors = new List<HostSettingsError>();
            var values = new SettingsValueReader("command line", errors);
            var bytes = values.Quantity(new YamlScalarNode(parseResult.GetValue(budget)), "--budget", allowZero: true);
            var idle = parseResult.GetValue(minIdle) is { } text ? values.Duration(new YamlScalarNode(text), "--min-idle", TimeSpan.Zero) : TimeSpan.Zero;
            if (errors.Count > 0)
            {
                throw new UsageException(errors[0].Message);
            }

            var result = Open(parseResult.GetValue(cache)).Collect(new CollectionRequest { Budget = bytes, MinIdle = idle });
            var stdout = context.Terminal.Out;
            foreach (var (key, freed) in result.Trees)
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"removed tree {key} ({freed} bytes)")).ConfigureAwait(false);
            }

            if (result.Blobs > 0)
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"removed {result.Blobs} unlinked blob(s) ({result.BlobBytes} bytes)")).ConfigureAwait(false);
            }

            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"cache: {result.SizeBefore} -> {result.SizeAfter} bytes ({ByteSize.Format(result.SizeAfter)}), budget {bytes}")).ConfigureAwait(false);
        });
        return command;
    }

    private static TreeCache Open(string? named) => TreeCache.Open(new CacheOptions { Root = Directory(named) });

    private static string Line(string label, long value) => string.Create(CultureInfo.InvariantCulture, $"{label,-13}{value}");
}
