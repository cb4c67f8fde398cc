using System.CommandLine;
using OrasAssemble.Settings;
using OrasAssemble.Text;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Mutation;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>The flags of <c>oras-assemble-webhook</c>. Exit code 2 for flags that cannot be used, as the CLI does.</summary>
internal sealed class WebhookCommandLine
{
    public const string Name = "oras-assemble-webhook";
    public const int InvalidInput = 2;

    private readonly Option<string> listen = new("--listen")
    {
        Description = "Address to serve HTTPS on: /mutate, /healthz, /readyz, /metrics",
        HelpName = "host:port",
        DefaultValueFactory = _ => ListenAddress.Default.ToString(),
    };

    private readonly Option<string?> tlsCertFile = new("--tls-cert-file")
    {
        Description = "PEM serving certificate, followed by its chain if any; reloaded when the file changes (required)",
        HelpName = "file",
    };

    private readonly Option<string?> tlsPrivateKeyFile = new("--tls-private-key-file")
    {
        Description = "PEM private key of the serving certificate; reloaded when the file changes (required)",
        HelpName = "file",
    };

    private readonly Option<string?> config = new("--config")
    {
        Description = "Host settings file (YAML) shared with the CLI and node plugin: registries (docs/host-config.md) and webhook (docs/webhook.md)",
        HelpName = "file.yaml",
    };

    private readonly Option<string?> registryConfig = new("--registry-config")
    {
        Description = "Docker config.json with credentials for private specs (default: anonymous)",
        HelpName = "config.json",
    };

    private readonly Option<string> failurePolicy = new("--failure-policy")
    {
        Description = "When a spec cannot be resolved because its registry cannot be asked: Fail refuses the pod (fail closed), " +
            "Ignore admits it unchanged with a warning (fail open). Match the MutatingWebhookConfiguration's failurePolicy",
        HelpName = "Fail|Ignore",
        DefaultValueFactory = _ => nameof(FailurePolicy.Fail),
    };

    private readonly Option<string> resolveTimeout = new("--resolve-timeout")
    {
        Description = "Longest time to resolve a spec at its registry; keep it below the webhook's timeoutSeconds",
        HelpName = "duration",
        DefaultValueFactory = _ => "5s",
    };

    private readonly Option<string> specCacheTtl = new("--spec-cache-ttl")
    {
        Description = "How long what a spec revision (digest) says is kept",
        HelpName = "duration",
        DefaultValueFactory = _ => "10m",
    };

    private readonly Option<string> driverName = new("--driver-name")
    {
        Description = "CSI driver of the injected volume",
        HelpName = "name",
        DefaultValueFactory = _ => PodMutator.DefaultDriverName,
    };

    private readonly Option<string?> apiServer = new("--api-server")
    {
        Description = "Kubernetes API server URL to read service accounts' pull secrets from (default: the in-cluster config; none outside a cluster)",
        HelpName = "url",
    };

    private readonly Option<string?> apiTokenFile = new("--api-token-file")
    {
        Description = "File holding the bearer token for --api-server",
        HelpName = "file",
    };

    private readonly Option<string> apiTimeout = new("--api-timeout")
    {
        Description = "Longest time to read a pod's service account; then the failure policy decides",
        HelpName = "duration",
        DefaultValueFactory = _ => "2s",
    };

    public WebhookCommandLine()
    {
        failurePolicy.AcceptOnlyFromAmong(nameof(FailurePolicy.Fail), nameof(FailurePolicy.Ignore));
    }

    /// <summary>Reads the flags; prints help, or every problem, and says to exit when they are not a run.</summary>
    public static CommandLineOutcome Parse(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var line = new WebhookCommandLine();
        var root = line.CreateRootCommand();
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            return Invalid(error, parseResult.Errors.Select(e => e.Message));
        }

        if (parseResult.Action is not null)
        {
            // --help (or --version): let System.CommandLine print it.
            return new CommandLineOutcome(null, parseResult.Invoke(new InvocationConfiguration { Output = output, Error = error }));
        }

        var problems = new List<string>();
        var options = line.Read(parseResult, problems);
        problems.AddRange(options.Problems());
        return problems.Count > 0 ? Invalid(error, problems) : new CommandLineOutcome(options, 0);
    }

    private RootCommand CreateRootCommand()
    {
        var root = new RootCommand(
            "Mutating admission webhook: wires the assembly spec named by a pod's assemble.oras.land/spec annotation into the pod " +
            "(a read-only csi.oras.land volume, its mounts, and with assemble.oras.land/rebase the spec's base image).");
        foreach (var option in new Option[] { listen, tlsCertFile, tlsPrivateKeyFile, config, registryConfig, failurePolicy, resolveTimeout, specCacheTtl, driverName, apiServer, apiTokenFile, apiTimeout })
        {
            root.Options.Add(option);
        }

        return root;
    }

    private WebhookOptions Read(ParseResult parseResult, List<string> problems)
    {
        var options = new WebhookOptions
        {
            TlsCertificateFile = parseResult.GetValue(tlsCertFile) ?? "",
            TlsPrivateKeyFile = parseResult.GetValue(tlsPrivateKeyFile) ?? "",
            ConfigFile = parseResult.GetValue(config),
            RegistryConfigFile = parseResult.GetValue(registryConfig),
            FailurePolicy = Enum.Parse<FailurePolicy>(parseResult.GetValue(failurePolicy)!),
            DriverName = parseResult.GetValue(driverName)!,
            ApiTokenFile = parseResult.GetValue(apiTokenFile),
        };

        if (parseResult.GetValue(apiServer) is { } server)
        {
            if (Uri.TryCreate(server, UriKind.Absolute, out var url))
            {
                options = options with { ApiServer = url };
            }
            else
            {
                problems.Add($"--api-server: {QuotedValue.Of(server)} is not a URL, e.g. https://10.96.0.1:443");
            }
        }

        if (ReadDuration(parseResult, apiTimeout, problems) is { } api)
        {
            options = options with { ApiTimeout = api };
        }

        if (ListenAddress.TryParse(parseResult.GetValue(listen)!, out var address, out var problem))
        {
            options = options with { Listen = address! };
        }
        else
        {
            problems.Add($"--listen: {problem}");
        }

        if (ReadDuration(parseResult, resolveTimeout, problems) is { } timeout)
        {
            options = options with { ResolveTimeout = timeout };
        }

        if (ReadDuration(parseResult, specCacheTtl, problems) is { } ttl)
        {
            options = options with { SpecCacheTtl = ttl };
        }

        return options;
    }

    private static TimeSpan? ReadDuration(ParseResult parseResult, Option<string> option, List<string> problems)
    {
        var text = parseResult.GetValue(option)!;
        if (SettingsDuration.TryParse(text, out var duration))
        {
            return duration;
        }

        problems.Add($"{option.Name}: {QuotedValue.Of(text)} is not a duration (e.g. 500ms, 5s, 10m, 1h30m)");
        return null;
    }

    private static CommandLineOutcome Invalid(TextWriter error, IEnumerable<string> problems)
    {
        foreach (var problem in problems)
        {
            error.WriteLine("Error: " + problem);
        }

        error.WriteLine($"Run '{Name} --help' for usage.");
        return new CommandLineOutcome(null, InvalidInput);
    }
}
