using OrasAssemble.Webhook.Hosting;

namespace OrasAssemble.Webhook;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = WebhookCommandLine.Parse(args, Console.Out, Console.Error);
        if (command.Options is not { } options)
        {
            return command.ExitCode;
        }

        try
        {
            await using var app = await WebhookServer.CreateAsync(options).ConfigureAwait(false);
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (WebhookStartupException e)
        {
            await Console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return WebhookCommandLine.InvalidInput;
        }
    }
}
