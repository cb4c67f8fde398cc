using System.CommandLine;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Cli.Commands;

/// <summary><c>logout &lt;registry&gt;</c>: forget the registry's credentials in the docker config.json.</summary>
internal static class LogoutCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var registry = new Argument<string>("registry") { Description = "The registry host, e.g. ghcr.io or localhost:5000" };
        var command = new Command("logout", "Remove a registry's saved credentials from the docker config.json") { registry };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            var host = parseResult.GetValue(registry)!.Trim();
            if (host.Length == 0)
            {
                throw new UsageException("logout needs a registry host");
            }

            await new DockerConfigCredentialStore(context.DockerConfigPath()).RemoveAsync(host, cancellationToken).ConfigureAwait(false);
            await context.Terminal.Out.WriteLineAsync($"Removed login credentials for {host}").ConfigureAwait(false);
        });
        return command;
    }
}
