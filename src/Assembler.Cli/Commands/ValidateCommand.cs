using System.CommandLine;
using OrasAssemble.Cli.Specs;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>validate &lt;assembly.yaml&gt;</c>: check a spec file and report every problem, as a compiler does.</summary>
internal static class ValidateCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var file = SpecFile.CreateArgument();
        var command = new Command(
            "validate",
            "Check an assembly spec: prints '<file>: valid', or every error as file:line:col: field: message (exit code 2)")
        {
            file,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            await SpecFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            await context.Terminal.Out.WriteLineAsync($"{path}: valid").ConfigureAwait(false);
        });
        return command;
    }
}
