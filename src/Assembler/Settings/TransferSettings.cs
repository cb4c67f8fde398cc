namespace OrasAssemble.Settings;

/// <summary>
/// How long registry transfers may wait, from the <c>transfer:</c> section of the host settings file shared by the
/// CLI, the node plugin and the webhook (format: docs/host-config.md). Every host reads it through here.
/// </summary>
public sealed record TransferSettings
{
    public static TransferSettings Default { get; } = new();

    /// <summary>Time allowed to receive a response's headers, per attempt.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Time a response body may go without sending a byte before the read is abandoned (and resumed).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Reads a settings file. A missing file is an error: a path given explicitly should exist.</summary>
    /// <exception cref="HostSettingsException">The file is missing, is not YAML, or its <c>transfer:</c> section is wrong.</exception>
    public static async Task<TransferSettings> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        Read(await SettingsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false));

    /// <param name="yaml">The whole settings document; only its <c>transfer:</c> section is read.</param>
    /// <param name="fileName">Named in errors.</param>
    /// <exception cref="HostSettingsException">The text is not YAML or its <c>transfer:</c> section is wrong.</exception>
    public static TransferSettings Parse(string yaml, string fileName = "<host settings>") => Read(SettingsFile.Parse(yaml, fileName));

    /// <summary>The <c>transfer:</c> section of a settings file; <see cref="Default"/> when it has none.</summary>
    /// <exception cref="HostSettingsException">The <c>transfer:</c> section is wrong.</exception>
    public static TransferSettings Read(SettingsFile file) => TransferSettingsParser.Read(file);
}
