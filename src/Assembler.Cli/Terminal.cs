using Spectre.Console;

namespace OrasAssemble.Cli;

/// <summary>
/// The process's standard streams. Results go to standard output (a digest, a tag list, a report) so scripts can
/// capture them; progress, notes and errors go to standard error.
/// </summary>
internal sealed class Terminal(TextWriter output, TextWriter error, TextReader input, bool inputIsTerminal, bool errorIsTerminal)
{
    private IAnsiConsole? errorConsole;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public TextReader In { get; } = input;

    public bool InputIsTerminal { get; } = inputIsTerminal;

    /// <summary>Whether standard error is a terminal, so live progress bars can be drawn there.</summary>
    public bool ErrorIsTerminal { get; } = errorIsTerminal;

    /// <summary>A Spectre console drawing on standard error.</summary>
    public IAnsiConsole ErrorConsole => errorConsole ??= AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Error),
        Interactive = ErrorIsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
    });

    public static Terminal FromConsole() => new(
        Console.Out, Console.Error, Console.In, !Console.IsInputRedirected, !Console.IsErrorRedirected);

    /// <summary>A note for the user on standard error, e.g. that a layer was skipped.</summary>
    public void Note(string message) => Error.WriteLine(message);
}
