using System.CommandLine;
using OrasAssemble.CsiNode.Hosting;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var commandLine = new NodeCommandLine();
        var parse = commandLine.Command.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync("Error: " + error.Message).ConfigureAwait(false);
            }

            return 2;
        }

        if (parse.Action is not null && args.Any(a => a is "--help" or "-h" or "-?" or "--version"))
        {
            return await parse.InvokeAsync().ConfigureAwait(false);
        }

        try
        {
            var options = await commandLine.ReadAsync(parse, CancellationToken.None).ConfigureAwait(false);
            await using var host = await NodeHost.StartAsync(options).ConfigureAwait(false);
            await host.WaitForShutdownAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or HostSettingsException or IOException)
        {
            await Console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return 2;
        }
    }
}
