using System.CommandLine;
using OrasAssemble.Registry.Auth;
using Spectre.Console;

namespace OrasAssemble.Cli.Commands;

/// <summary>
/// <c>login &lt;registry&gt; -u USER --password-stdin</c>: check the credentials against the registry, then save them in
/// the docker config.json (or its credential helper), where docker, oras and this CLI all find them.
/// </summary>
internal static class LoginCommand
{
    public static Command Create(GlobalOptions global, Terminal terminal)
    {
        var registry = new Argument<string>("registry") { Description = "The registry host, e.g. ghcr.io or localhost:5000" };
        var username = new Option<string?>("--username", "-u") { Description = "User name", HelpName = "user" };
        var password = new Option<string?>("--password", "-p")
        {
            Description = "Password or token (visible in the process list and shell history: prefer --password-stdin)",
            HelpName = "password",
        };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password or token from standard input" };

        var command = new Command("login", "Log in to a registry: check the credentials, then save them in the docker config.json")
        {
            registry,
            username,
            password,
            passwordStdin,
        };
        VerbAction.Set(command, global, terminal, async (parseResult, context, cancellationToken) =>
        {
            if (context.Settings.OciLayout || context.Settings.StorePath is not null)
            {
                throw new UsageException("login is for registries; an OCI layout needs no credentials");
            }

            var host = parseResult.GetValue(registry)!.Trim();
            var credential = await ReadCredentialAsync(
                context.Terminal, parseResult.GetValue(username), parseResult.GetValue(password), parseResult.GetValue(passwordStdin), cancellationToken).ConfigureAwait(false);

            using (var client = context.CreateRegistryClient(new StaticCredentialProvider([new(host, credential)])))
            {
                try
                {
                    await client.PingAsync(host, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException e)
                {
                    throw new UsageException(e.Message.Split(" (Parameter", 2)[0], e);
                }
            }

            await new DockerConfigCredentialStore(context.DockerConfigPath()).StoreAsync(host, credential, cancellationToken).ConfigureAwait(false);
            await context.Terminal.Out.WriteLineAsync("Login Succeeded").ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<Credential> ReadCredentialAsync(Terminal terminal, string? username, string? password, bool fromStdin, CancellationToken cancellationToken)
    {
        if (password is not null && fromStdin)
        {
            throw new UsageException("--password and --password-stdin are mutually exclusive");
        }

        if (fromStdin)
        {
            if (string.IsNullOrEmpty(username))
            {
                throw new UsageException("--password-stdin needs --username (standard input holds the password)");
            }

            // A trailing newline from echo or a file is not part of the password.
            password = (await terminal.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).TrimEnd('\r', '\n');
        }
        else if (password is not null)
        {
            terminal.Note("WARNING! Using --password via the command line is insecure. Use --password-stdin.");
        }
        else if (terminal.InputIsTerminal && terminal.ErrorIsTerminal)
        {
            username ??= await new TextPrompt<string>("Username:").ShowAsync(terminal.ErrorConsole, cancellationToken).ConfigureAwait(false);
            password = await new TextPrompt<string>("Password:").Secret().ShowAsync(terminal.ErrorConsole, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new UsageException("no password given: pipe it in with --password-stdin (or pass -p)");
        }

        if (string.IsNullOrEmpty(username))
        {
            throw new UsageException("no user name given: pass --username");
        }

        if (string.IsNullOrEmpty(password))
        {
            throw new UsageException("the password is empty");
        }

        return new Credential(username, password);
    }
}
