using OrasAssemble.Settings;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Mutation;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>Everything the webhook is started with; the command line fills it in, tests build it directly.</summary>
internal sealed record WebhookOptions
{
    public ListenAddress Listen { get; init; } = ListenAddress.Default;

    /// <summary>PEM certificate (and chain) served over HTTPS; reloaded when it changes.</summary>
    public required string TlsCertificateFile { get; init; }

    public required string TlsPrivateKeyFile { get; init; }

    /// <summary>The host settings file: <c>registries:</c> (docs/host-config.md) and <c>webhook:</c> (docs/webhook.md).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>A docker <c>config.json</c> with credentials for private specs; anonymous access when null.</summary>
    public string? RegistryConfigFile { get; init; }

    public FailurePolicy FailurePolicy { get; init; } = FailurePolicy.Fail;

    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan SpecCacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    public string DriverName { get; init; } = PodMutator.DefaultDriverName;

    /// <summary>The API server to read service accounts from; null uses the in-cluster config (none outside a cluster).</summary>
    public Uri? ApiServer { get; init; }

    /// <summary>A file holding the bearer token for <see cref="ApiServer"/>.</summary>
    public string? ApiTokenFile { get; init; }

    /// <summary>The longest one API server read may take before the failure policy decides.</summary>
    public TimeSpan ApiTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the certificate files are compared with what is being served.</summary>
    public TimeSpan CertificateCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest admission review accepted; the API server caps objects well below this.</summary>
    public long MaxRequestBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Every problem with the values themselves (files are checked when they are read).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(TlsCertificateFile))
        {
            problems.Add("--tls-cert-file is required");
        }

        if (string.IsNullOrWhiteSpace(TlsPrivateKeyFile))
        {
            problems.Add("--tls-private-key-file is required");
        }

        if (Listen.IsLocalhost && Listen.Port == 0)
        {
            problems.Add("--listen: port 0 (any free port) needs an IP address, e.g. 127.0.0.1:0, not localhost");
        }

        if (ResolveTimeout <= TimeSpan.Zero)
        {
            problems.Add("--resolve-timeout must be longer than zero");
        }
        else if (ResolveTimeout > TimeSpan.FromSeconds(30))
        {
            problems.Add($"--resolve-timeout {SettingsDuration.Format(ResolveTimeout)} is longer than the API server waits for any webhook (30s)");
        }

        if (ApiTimeout <= TimeSpan.Zero)
        {
            problems.Add("--api-timeout must be longer than zero");
        }
        else if (ApiTimeout + ResolveTimeout > TimeSpan.FromSeconds(30))
        {
            problems.Add($"--api-timeout {SettingsDuration.Format(ApiTimeout)} and --resolve-timeout together are longer than the API server waits for any webhook (30s)");
        }

        if (ApiServer is { } server && (!server.IsAbsoluteUri || server.Scheme is not ("https" or "http")))
        {
            problems.Add($"--api-server {server} must be an http or https URL");
        }

        if (ApiTokenFile is not null && ApiServer is null)
        {
            problems.Add("--api-token-file needs --api-server (in a cluster the service account token is used)");
        }

        if (SpecCacheTtl <= TimeSpan.Zero)
        {
            problems.Add("--spec-cache-ttl must be longer than zero");
        }

        if (string.IsNullOrWhiteSpace(DriverName))
        {
            problems.Add("--driver-name must not be empty");
        }

        if (CertificateCheckInterval <= TimeSpan.Zero || MaxRequestBytes <= 0)
        {
            problems.Add("the certificate check interval and request size limit must be positive");
        }

        return problems;
    }
}
