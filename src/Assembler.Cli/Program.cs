using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Cli;

internal static class Program
{
    // The verbs that read an assembly spec: its schema is read beside the parsing of the command line, not after it.
    private static readonly HashSet<string> ReadSpecs = new(StringComparer.Ordinal) { "assemble", "validate", "push", "inspect", "rebase" };

    public static Task<int> Main(string[] args)
    {
        if (args.Any(ReadSpecs.Contains))
        {
            SpecDocument.Prepare();
        }

        return CliApplication.RunAsync(args, Terminal.FromConsole(), CancellationToken.None);
    }
}
