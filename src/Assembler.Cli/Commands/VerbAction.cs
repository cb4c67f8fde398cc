using System.CommandLine;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// Wires a verb's work to its command: builds the <see cref="CommandContext"/> from the global flags, runs the work,
/// and reports success. Failures are left to propagate to <see cref="CliApplication"/>, which alone maps them to exit codes.
/// </summary>
internal static class VerbAction
{
    public static void Set(Command command, GlobalOptions global, Terminal terminal, Func<ParseResult, CommandContext, CancellationToken, Task> work)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var context = await CommandContext.CreateAsync(global.Read(parseResult), terminal, cancellationToken).ConfigureAwait(false);
            await work(parseResult, context, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
    }
}
