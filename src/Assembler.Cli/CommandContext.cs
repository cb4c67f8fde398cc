using OrasAssemble.Cli.Progress;
using OrasAssemble.Cli.Targets;
using OrasAssemble.Execution;
using OrasAssemble.Layout;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;

namespace OrasAssemble.Cli;

/// <summary>
/// What a verb needs beyond its own arguments, built from the global flags: the host settings, the credential
/// store, a registry client, opened targets and the progress display. Owns and disposes what it opens.
/// </summary>
internal sealed class CommandContext : IDisposable
{
    private readonly List<IDisposable> owned = [];
    private RegistryClient? registryClient;
    private OciLayoutStore? store;

    private CommandContext(GlobalSettings settings, Terminal terminal, HostSettings hosts, TransferSettings transfer, LimitSettings limits)
    {
        Settings = settings;
        Terminal = terminal;
        Hosts = hosts;
        Transfer = transfer;
        Limits = limits;
    }

    public GlobalSettings Settings { get; }

    public Terminal Terminal { get; }

    /// <summary>Per-registry settings from <c>--config</c>, with <c>--plain-http</c> / <c>--insecure</c> applied.</summary>
    public HostSettings Hosts { get; }

    /// <summary>Timeouts from the <c>transfer:</c> section of <c>--config</c>.</summary>
    public TransferSettings Transfer { get; }

    /// <summary>The <c>limits:</c> section of <c>--config</c>, read as the node plugin reads it; the defaults without one.</summary>
    public LimitSettings Limits { get; }

    /// <summary>Bars on a terminal, plain lines when standard error is redirected.</summary>
    public IProgressDisplay Progress => Terminal.ErrorIsTerminal
        ? new LiveProgressDisplay(Terminal.ErrorConsole)
        : new PlainProgressDisplay(Terminal.Error);

    /// <exception cref="HostSettingsException">The <c>--config</c> file is missing or invalid.</exception>
    /// <exception cref="UsageException"><c>--store</c> and <c>--oci-layout</c> are both given.</exception>
    public static async Task<CommandContext> CreateAsync(GlobalSettings settings, Terminal terminal, CancellationToken cancellationToken)
    {
        if (settings.StorePath is not null && settings.OciLayout)
        {
            throw new UsageException("--store and --oci-layout cannot be combined: --store keeps registry references in one layout, --oci-layout names a layout in each reference");
        }

        if (settings.StorePath is { Length: 0 })
        {
            throw new UsageException("--store needs a directory");
        }

        var hosts = HostSettings.Empty;
        var transfer = TransferSettings.Default;
        var limits = LimitSettings.Default;
        if (settings.HostConfigPath is { } path)
        {
            var file = await SettingsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            hosts = HostSettings.Read(file);
            transfer = TransferSettings.Read(file);
            limits = LimitSettingsParser.Read(file);
        }

        return new CommandContext(settings, terminal, hosts.WithGlobalOverrides(settings.PlainHttp, settings.Insecure), transfer, limits);
    }

    /// <summary>The docker <c>config.json</c> to read credentials from and write logins to.</summary>
    public string DockerConfigPath()
    {
        if (Settings.RegistryConfigPath is { Length: > 0 } path)
        {
            return path;
        }

        try
        {
            return DockerConfigCredentialStore.DefaultConfigPath();
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"{e.Message}; name the file with --registry-config", e);
        }
    }

    /// <summary>A client that reads credentials from the docker config (on every request, so a fresh login counts).</summary>
    public RegistryClient RegistryClient => registryClient ??= CreateRegistryClient(new DockerConfigCredentialStore(DockerConfigPath()));

    /// <summary>A client that presents exactly <paramref name="credentials"/>, for checking a login before it is saved.</summary>
    public RegistryClient CreateRegistryClient(ICredentialProvider credentials) => Own(new RegistryClient(new RegistryClientOptions
    {
        Hosts = Hosts,
        Credentials = credentials,

        // A retry after a timeout says so, so a slow registry is never mistaken for a hung command; quick retries
        // (a refused connection, a 503) are noted with --verbose, and a failure is reported in one line as ever.
        Retrying = retry =>
        {
            if (retry.TimedOut || Settings.Verbose)
            {
                Terminal.Note($"Retrying {retry}");
            }
        },
    }.WithTransfer(Transfer)));

    /// <summary>
    /// Where the references inside a spec (sources, base) are read from: the store with <c>--store</c>, else their
    /// registries (also with <c>--oci-layout</c>, whose directory names only the spec's own location).
    /// </summary>
    /// <exception cref="UsageException">The <c>--store</c> directory does not exist.</exception>
    public async Task<ITargetLocator> SpecLocatorAsync(CancellationToken cancellationToken)
    {
        if (Settings.StorePath is null)
        {
            return new RegistryTargetLocator(RegistryClient);
        }

        var opened = await OpenStoreAsync(forWriting: false, cancellationToken).ConfigureAwait(false);
        return new StoreTargetLocator(opened, opened.Root);
    }

    /// <exception cref="Registry.InvalidReferenceException">The text is not a reference.</exception>
    public TargetReference ParseReference(string text) => TargetReference.Parse(text, Settings.OciLayout, Settings.StorePath);

    /// <summary>
    /// Opens the store a reference names. A layout directory is created when <paramref name="forWriting"/>; otherwise
    /// it must exist.
    /// </summary>
    public async Task<ArtifactTarget> OpenAsync(TargetReference reference, bool forWriting, CancellationToken cancellationToken)
    {
        if (reference.StorePath is not null)
        {
            return new ArtifactTarget(reference, await OpenStoreAsync(forWriting, cancellationToken).ConfigureAwait(false));
        }

        if (reference.Registry is { } registry)
        {
            return new ArtifactTarget(reference, RegistryClient.GetRepository(registry));
        }

        var path = reference.LayoutPath!;
        if (!forWriting && !Directory.Exists(path))
        {
            throw new UsageException($"OCI layout directory {path} does not exist");
        }

        var store = await OciLayoutStore.OpenAsync(path, new OciLayoutStoreOptions { CreateIfMissing = forWriting }, cancellationToken)
            .ConfigureAwait(false);
        return new ArtifactTarget(reference, Own(store));
    }

    /// <summary>
    /// The <c>--store</c> layout, opened once per command so that everything the command reads and writes shares one
    /// view of its index. It is created when written to; reading needs it to exist.
    /// </summary>
    private async Task<OciLayoutStore> OpenStoreAsync(bool forWriting, CancellationToken cancellationToken)
    {
        var path = Settings.StorePath ?? throw new InvalidOperationException("no --store was given");
        if (store is not null)
        {
            return store;
        }

        if (!forWriting && !Directory.Exists(path))
        {
            throw new UsageException($"store {path} does not exist (pack or push into it first)");
        }

        store = Own(await OciLayoutStore.OpenAsync(path, new OciLayoutStoreOptions { CreateIfMissing = forWriting }, cancellationToken)
            .ConfigureAwait(false));
        return store;
    }

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item.Dispose();
        }
    }

    private T Own<T>(T item)
        where T : IDisposable
    {
        owned.Add(item);
        return item;
    }
}
