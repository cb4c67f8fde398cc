using Spectre.Console;

namespace OrasAssemble.Cli.Progress;

/// <summary>
/// Shows the stages of work that is not one transfer (an assembly: sources resolved, blobs fetched, the tree built):
/// a live status line on a terminal, one plain line per stage when standard error is redirected. Stages may be
/// reported from several threads at once.
/// </summary>
internal sealed class StatusDisplay(Terminal terminal)
{
    private readonly Lock gate = new();

    public Task<T> RunAsync<T>(string title, Func<Action<string>, Task<T>> work)
    {
        if (!terminal.ErrorIsTerminal)
        {
            return work(line =>
            {
                lock (gate)
                {
                    terminal.Error.WriteLine(line);
                }
            });
        }

        return terminal.ErrorConsole.Status().StartAsync(Markup.Escape(title), context => work(line =>
        {
            lock (gate)
            {
                context.Status(Markup.Escape($"{title}: {line}"));
            }
        }));
    }
}
