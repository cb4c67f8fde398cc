namespace OrasAssemble.Settings;

/// <summary>
/// Per-registry connection settings from the <c>registries:</c> section of the host settings file shared by the
/// CLI, the node plugin and the webhook (format: docs/host-config.md). Immutable; safe to share between threads.
/// </summary>
public sealed class HostSettings
{
    private readonly IReadOnlyList<KeyValuePair<string, RegistrySettings>> registries;
    private readonly Dictionary<string, RegistrySettings> exact;
    private readonly List<KeyValuePair<HostPattern, RegistrySettings>> wildcards;
    private readonly bool globalPlainHttp;
    private readonly bool globalInsecure;

    private HostSettings(
        IReadOnlyList<KeyValuePair<string, RegistrySettings>> registries,
        Dictionary<string, RegistrySettings> exact,
        List<KeyValuePair<HostPattern, RegistrySettings>> wildcards,
        bool globalPlainHttp,
        bool globalInsecure)
    {
        this.registries = registries;
        this.exact = exact;
        this.wildcards = wildcards;
        this.globalPlainHttp = globalPlainHttp;
        this.globalInsecure = globalInsecure;
    }

    /// <summary>No per-host settings: HTTPS with certificate checks and no mirrors everywhere.</summary>
    public static HostSettings Empty { get; } = new([], [], [], false, false);

    /// <summary>The entries as written (keys in lower case), in file order; global overrides not applied.</summary>
    public IReadOnlyList<KeyValuePair<string, RegistrySettings>> Registries => registries;

    /// <summary>Reads a settings file. A missing file is an error: a path given explicitly should exist.</summary>
    /// <exception cref="HostSettingsException">The file is missing, is not YAML, or its registries section is wrong.</exception>
    public static async Task<HostSettings> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        Read(await SettingsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false));

    /// <param name="yaml">The whole settings document; only its <c>registries:</c> section is read.</param>
    /// <param name="fileName">Named in errors.</param>
    /// <exception cref="HostSettingsException">The text is not YAML or its registries section is wrong.</exception>
    public static HostSettings Parse(string yaml, string fileName = "<host settings>") => Read(SettingsFile.Parse(yaml, fileName));

    /// <summary>The <c>registries:</c> section of a settings file; <see cref="Empty"/> when it has none.</summary>
    /// <exception cref="HostSettingsException">The registries section is wrong.</exception>
    public static HostSettings Read(SettingsFile file)
    {
        var entries = HostSettingsParser.Read(file);
        var exact = new Dictionary<string, RegistrySettings>(StringComparer.Ordinal);
        var wildcards = new List<KeyValuePair<HostPattern, RegistrySettings>>();
        foreach (var (pattern, settings) in entries)
        {
            if (pattern.IsExact)
            {
                exact.Add(pattern.Key, settings);
            }
            else
            {
                wildcards.Add(new(pattern, settings));
            }
        }

        return new HostSettings([.. entries.Select(e => new KeyValuePair<string, RegistrySettings>(e.Key.Key, e.Value))], exact, wildcards, false, false);
    }

    /// <summary>
    /// The settings for a registry host such as <c>ghcr.io</c> or <c>127.0.0.1:5000</c>: its exact entry, else the
    /// most specific matching wildcard entry, else <see cref="RegistrySettings.Default"/>; then global overrides.
    /// Entries are not merged: the chosen one is taken whole.
    /// </summary>
    public RegistrySettings For(string registryHost)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registryHost);
        var host = registryHost.Trim().ToLowerInvariant();
        var settings = exact.GetValueOrDefault(host) ?? BestWildcard(host) ?? RegistrySettings.Default;
        return globalPlainHttp || globalInsecure
            ? settings with { PlainHttp = settings.PlainHttp || globalPlainHttp, Insecure = settings.Insecure || globalInsecure }
            : settings;
    }

    private RegistrySettings? BestWildcard(string host)
    {
        KeyValuePair<HostPattern, RegistrySettings>? best = null;
        foreach (var candidate in wildcards)
        {
            if (candidate.Key.Matches(host) && (best is null || candidate.Key.Specificity.CompareTo(best.Value.Key.Specificity) > 0))
            {
                best = candidate;
            }
        }

        return best?.Value;
    }

    /// <summary>
    /// Applies the CLI's <c>--plain-http</c> / <c>--insecure</c> to every host, mirrors included. A flag can only turn a
    /// setting on; false leaves each host as the file says.
    /// </summary>
    public HostSettings WithGlobalOverrides(bool plainHttp, bool insecure) =>
        new(registries, exact, wildcards, globalPlainHttp || plainHttp, globalInsecure || insecure);
}
