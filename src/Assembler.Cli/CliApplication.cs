using System.CommandLine;
using System.CommandLine.Invocation;
using OrasAssemble.Cli.Commands;

namespace OrasAssemble.Cli;

/// <summary>
/// The <c>oras-assemble</c> command tree and its single error boundary: parse errors and every exception a verb throws
/// end here, as one <c>Error:</c> line and a documented exit code.
/// </summary>
internal static class CliApplication
{
    public const string Name = "oras-assemble";

    public static async Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken)
    {
        var global = new GlobalOptions();
        var root = CreateRootCommand(global, terminal);
        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await terminal.Error.WriteLineAsync("Error: " + error.Message).ConfigureAwait(false);
            }

            var command = parseResult.CommandResult.Command;
            var usage = command is RootCommand ? Name : $"{Name} {command.Name}";
            await terminal.Error.WriteLineAsync($"Run '{usage} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        try
        {
            var invocation = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = terminal.Out,
                Error = terminal.Error,
            };
            return await parseResult.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return FailureReporter.Report(e, terminal.Error, parseResult.GetValue(global.Verbose));
        }
    }

    public static RootCommand CreateRootCommand(GlobalOptions global, Terminal terminal)
    {
        var root = new RootCommand(
            "Pack, pull and inspect OCI artifacts, and assemble pod content from them.\n"
            + "Exit codes: 0 success, 1 failure (registry, network, content), 2 invalid input (reference, flags, files, config, a rebase onto another platform), 130 interrupted.");
        foreach (var option in global.All)
        {
            root.Options.Add(option);
        }

        // Each verb is one entry; the assembly spec verbs join this list.
        Command[] verbs =
        [
            PackCommand.Create(global, terminal),
            PushCommand.Create(global, terminal),
            PullCommand.Create(global, terminal),
            InspectCommand.Create(global, terminal),
            TagsCommand.Create(global, terminal),
            LoginCommand.Create(global, terminal),
            LogoutCommand.Create(global, terminal),
            ValidateCommand.Create(global, terminal),
            AssembleCommand.Create(global, terminal),
            CacheCommand.Create(global, terminal),
            RebaseCommand.Create(global, terminal),
            HistoryCommand.Create(global, terminal),
        ];
        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        return root;
    }
}
