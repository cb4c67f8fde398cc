using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Hosting;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Hosting;

/// <summary>The host itself: HTTPS only, health and metrics endpoints, certificate reload, and start-up checks.</summary>
public sealed class HttpsServingTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly TestCertificateAuthority authority = TestCertificateAuthority.Create();

    public void Dispose()
    {
        authority.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task Health_readiness_and_metrics_are_served_over_https()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path);
        await webhook.PostAsync("not a review");

        var health = await webhook.Client.GetStringAsync(new Uri(webhook.BaseUri, "/healthz"));
        var ready = await webhook.Client.GetStringAsync(new Uri(webhook.BaseUri, "/readyz"));
        using var metrics = await webhook.Client.GetAsync(new Uri(webhook.BaseUri, "/metrics"));
        var text = await metrics.Content.ReadAsStringAsync();

        Assert.Equal("ok\n", health);
        Assert.Equal("ok\n", ready);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType?.ToString());
        var scrape = PrometheusText.Parse(text);
        Assert.Equal(1, scrape.Value("oras_assemble_webhook_admissions_total", ("outcome", "malformed")));
        Assert.Equal(0, scrape.Value("oras_assemble_webhook_admissions_total", ("outcome", "mutated")));
        Assert.Equal(1, scrape.Value("oras_assemble_webhook_admission_duration_seconds_count"));
        Assert.Equal(1, scrape.Value("oras_assemble_webhook_admission_duration_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(
            ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"],
            scrape.Samples.Where(s => s.Name == "oras_assemble_webhook_admission_duration_seconds_bucket").Select(s => s.Labels["le"]));
        Assert.Equal(0, scrape.Value("oras_assemble_webhook_spec_resolutions_total", ("result", "unavailable")));
        Assert.Equal(0, scrape.Value("oras_assemble_webhook_certificate_reloads_total", ("result", "failed")));
        using var served = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(webhook.Certificate.CertificateFile));
        var expiry = new DateTimeOffset(served.NotAfter.ToUniversalTime()).ToUnixTimeSeconds();
        Assert.Equal(expiry, scrape.Value("oras_assemble_webhook_certificate_expiry_timestamp_seconds"));
        Assert.Equal("histogram", scrape.Types["oras_assemble_webhook_admission_duration_seconds"]);
        Assert.Equal("gauge", scrape.Types["oras_assemble_webhook_certificate_expiry_timestamp_seconds"]);

        // Beside ours, the process's and the .NET runtime's own.
        Assert.True(scrape.Value("process_cpu_seconds_total") > 0);
        Assert.True(scrape.Value("dotnet_gc_heap_total_allocated_bytes_total") > 0);
        Assert.True(scrape.Value("dotnet_jit_compiled_methods_total") > 0);
        Assert.Equal("gauge", scrape.Types["dotnet_gc_last_collection_heap_size_bytes"]);
    }

    [Fact]
    public async Task A_review_over_the_size_limit_gets_413_with_a_review_saying_why()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path, o => o with { MaxRequestBytes = 1024 });

        var answer = await webhook.PostAsync(new string(' ', 4096));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        Assert.False(answer.Allowed);
        Assert.Equal(413, answer.Code);
        Assert.Equal("RequestEntityTooLarge", answer.Reason);
        Assert.Equal("the review is 4096 bytes, over the limit of 1024", answer.Message);
        var metrics = PrometheusText.Parse(await webhook.Client.GetStringAsync(new Uri(webhook.BaseUri, "/metrics")));
        Assert.Equal(1, metrics.Value("oras_assemble_webhook_admissions_total", ("outcome", "malformed")));
    }

    [Fact]
    public async Task Plain_http_is_not_served()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path);
        using var plain = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new UriBuilder(webhook.BaseUri) { Scheme = "http" }.Uri));
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_to_new_connections_without_a_restart()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path);
        var before = await ServedCertificateAsync(webhook);
        var (certificatePem, keyPem) = authority.IssuePem("renewed", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        // As a secret volume update looks to the reader: whole files replaced.
        await ReplaceAsync(webhook.Certificate.KeyFile, keyPem);
        await ReplaceAsync(webhook.Certificate.CertificateFile, certificatePem);
        var after = await WaitForCertificateAsync(webhook, c => c.Subject == "CN=renewed");

        Assert.Equal("CN=oras-assemble-webhook", before.Subject);
        Assert.Equal("CN=renewed", after.Subject);
        var metrics = PrometheusText.Parse(await webhook.Client.GetStringAsync(new Uri(webhook.BaseUri, "/metrics")));
        Assert.Equal(1, metrics.Value("oras_assemble_webhook_certificate_reloads_total", ("result", "ok")));
    }

    [Fact]
    public async Task A_half_written_pair_keeps_the_previous_certificate_until_the_key_arrives()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path, o => o with { CertificateCheckInterval = TimeSpan.FromMilliseconds(50) });
        var (certificatePem, keyPem) = authority.IssuePem("next", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        await ReplaceAsync(webhook.Certificate.CertificateFile, certificatePem);
        await Task.Delay(200);
        var meanwhile = await ServedCertificateAsync(webhook);
        var ready = await webhook.Client.GetAsync(new Uri(webhook.BaseUri, "/readyz"));
        await ReplaceAsync(webhook.Certificate.KeyFile, keyPem);
        var after = await WaitForCertificateAsync(webhook, c => c.Subject == "CN=next");

        Assert.Equal("CN=oras-assemble-webhook", meanwhile.Subject);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("CN=next", after.Subject);
        Assert.Single(webhook.Logs.Entries, e => e.EventId == 1003);
    }

    [Fact]
    public async Task Readiness_fails_while_the_certificate_is_expired()
    {
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path);
        var (certificatePem, keyPem) = authority.IssuePem("expired", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        await ReplaceAsync(webhook.Certificate.KeyFile, keyPem);
        await ReplaceAsync(webhook.Certificate.CertificateFile, certificatePem);
        using var anyCertificate = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });

        HttpResponseMessage? ready = null;
        for (var attempt = 0; attempt < 50 && ready?.StatusCode != HttpStatusCode.ServiceUnavailable; attempt++)
        {
            await Task.Delay(100);
            ready = await anyCertificate.GetAsync(new Uri(webhook.BaseUri, "/readyz"));
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready!.StatusCode);
        Assert.StartsWith("serving certificate is valid from ", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_names_a_missing_certificate_file()
    {
        var options = Options(temp.Combine("missing.crt"), temp.Combine("missing.key"));

        var error = await Assert.ThrowsAsync<WebhookStartupException>(() => WebhookServer.CreateAsync(options, _ => { }));

        Assert.Equal($"--tls-cert-file {temp.Combine("missing.crt")}: no such file", error.Message);
    }

    [Fact]
    public async Task Start_up_refuses_a_key_that_is_not_the_certificates()
    {
        var first = authority.Issue(temp.Path, "first");
        var second = authority.Issue(temp.Path, "second");

        var error = await Assert.ThrowsAsync<WebhookStartupException>(() => WebhookServer.CreateAsync(Options(first.CertificateFile, second.KeyFile), _ => { }));

        Assert.StartsWith($"cannot use {first.CertificateFile} with {second.KeyFile}: the private key does not belong to the certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_reports_every_problem_of_the_config_file_with_its_position()
    {
        var pair = authority.Issue(temp.Path, "serving");
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries:
              "127.0.0.1:*":
                plainhttp: true
            webhook:
              namespaces: [shop, Not_A_Namespace]
              failurePolicy: Ignore
            """);

        var error = await Assert.ThrowsAsync<WebhookStartupException>(
            () => WebhookServer.CreateAsync(Options(pair.CertificateFile, pair.KeyFile) with { ConfigFile = config }, _ => { }));

        Assert.StartsWith($"--config: {config}:3:5: registries.\"127.0.0.1:*\": unknown key \"plainhttp\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_webhook_section_is_checked_too()
    {
        var pair = authority.Issue(temp.Path, "serving");
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries: {}
            webhook:
              namespaces: [shop, Not_A_Namespace]
              failurePolicy: Ignore
            """);

        var error = await Assert.ThrowsAsync<WebhookStartupException>(
            () => WebhookServer.CreateAsync(Options(pair.CertificateFile, pair.KeyFile) with { ConfigFile = config }, _ => { }));

        Assert.Equal(
            $"--config: {config}: 2 problems:{Environment.NewLine}" +
            $"  {config}:3:22: webhook.namespaces: \"Not_A_Namespace\" is not a namespace name (lowercase letters, digits and '-', at most 63){Environment.NewLine}" +
            $"  {config}:4:3: webhook: unknown key \"failurePolicy\" (known keys: namespaces)",
            error.Message);
    }

    [Fact]
    public async Task The_transfer_section_is_checked_by_the_shared_reader()
    {
        var pair = authority.Issue(temp.Path, "serving");
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries: {}
            transfer:
              idleTimeout: 0s
            """);

        var error = await Assert.ThrowsAsync<WebhookStartupException>(
            () => WebhookServer.CreateAsync(Options(pair.CertificateFile, pair.KeyFile) with { ConfigFile = config }, _ => { }));

        Assert.Equal(
            $"--config: {config}:3:16: transfer.idleTimeout must be a duration from 1s to 1h such as 60s, 2m or 1m30s, found \"0s\"",
            error.Message);
    }

    [Fact]
    public async Task The_binary_serves_with_the_flags_it_documents()
    {
        var pair = authority.Issue(temp.Path, "serving");
        var port = FreePort();
        var binary = Path.Combine(AppContext.BaseDirectory, "oras-assemble-webhook");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary)
        {
            ArgumentList =
            {
                "--listen", $"127.0.0.1:{port}", "--tls-cert-file", pair.CertificateFile, "--tls-private-key-file", pair.KeyFile,
                "--failure-policy", "Ignore", "--resolve-timeout", "2s",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var client = authority.CreateClient();
            string? health = null;
            for (var attempt = 0; attempt < 100 && health is null; attempt++)
            {
                try
                {
                    health = await client.GetStringAsync(new Uri($"https://127.0.0.1:{port}/healthz"));
                }
                catch (HttpRequestException) when (!process.HasExited)
                {
                    await Task.Delay(100);
                }
            }

            Assert.Equal("ok\n", health);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        Assert.Contains("failure policy Ignore", await output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--help" }, 0, "--tls-private-key-file")]
    [InlineData(new[] { "--tls-cert-file", "x.crt" }, 2, "Error: --tls-private-key-file is required")]
    [InlineData(new[] { "--tls-cert-file", "x", "--tls-private-key-file", "y", "--failure-policy", "Open" }, 2, "Error: Argument 'Open' not recognized. Must be one of:")]
    [InlineData(new[] { "--tls-cert-file", "x", "--tls-private-key-file", "y", "--listen", "8443" }, 2, "Error: --listen: \"8443\" is not host:port")]
    [InlineData(new[] { "--tls-cert-file", "x", "--tls-private-key-file", "y", "--resolve-timeout", "45s" }, 2, "Error: --resolve-timeout 45s is longer than the API server waits for any webhook (30s)")]
    [InlineData(new[] { "--tls-cert-file", "/nonexistent/tls.crt", "--tls-private-key-file", "/nonexistent/tls.key" }, 2, "Error: --tls-cert-file /nonexistent/tls.crt: no such file")]
    public async Task The_binary_explains_flags_it_cannot_use(string[] arguments, int exitCode, string expected)
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(AppContext.BaseDirectory, "oras-assemble-webhook"), arguments);

        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(expected, exitCode == 0 ? result.Stdout : result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_fills_in_every_option()
    {
        var outcome = WebhookCommandLine.Parse(
        [
            "--listen", "[::1]:9443", "--tls-cert-file", "c.pem", "--tls-private-key-file", "k.pem", "--config", "hosts.yaml",
            "--registry-config", "config.json", "--failure-policy", "Ignore", "--resolve-timeout", "2500ms", "--spec-cache-ttl", "1h30m",
            "--driver-name", "csi.example.org",
        ], TextWriter.Null, TextWriter.Null);
        var defaults = WebhookCommandLine.Parse(["--tls-cert-file", "c.pem", "--tls-private-key-file", "k.pem"], TextWriter.Null, TextWriter.Null);

        Assert.Equal(new WebhookOptions
        {
            Listen = new ListenAddress(IPAddress.IPv6Loopback, 9443),
            TlsCertificateFile = "c.pem",
            TlsPrivateKeyFile = "k.pem",
            ConfigFile = "hosts.yaml",
            RegistryConfigFile = "config.json",
            FailurePolicy = FailurePolicy.Ignore,
            ResolveTimeout = TimeSpan.FromMilliseconds(2500),
            SpecCacheTtl = TimeSpan.FromMinutes(90),
            DriverName = "csi.example.org",
        }, outcome.Options);
        Assert.Equal("0.0.0.0:8443", defaults.Options!.Listen.ToString());
        Assert.Equal(FailurePolicy.Fail, defaults.Options.FailurePolicy);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.Options.ResolveTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), defaults.Options.SpecCacheTtl);
        Assert.Equal("csi.oras.land", defaults.Options.DriverName);
        Assert.Null(defaults.Options.RegistryConfigFile);
    }

    private static WebhookOptions Options(string certificate, string key) => new()
    {
        Listen = new ListenAddress(IPAddress.Loopback, 0),
        TlsCertificateFile = certificate,
        TlsPrivateKeyFile = key,
    };

    private static async Task ReplaceAsync(string path, string content)
    {
        var next = path + ".next";
        await File.WriteAllTextAsync(next, content);
        File.Move(next, path, overwrite: true);
    }

    private async Task<X509Certificate2> ServedCertificateAsync(WebhookInstance webhook)
    {
        X509Certificate2? served = null;
        using var client = authority.CreateClient(c => served = c);
        using var _ = await client.GetAsync(new Uri(webhook.BaseUri, "/healthz"));
        return served!;
    }

    private async Task<X509Certificate2> WaitForCertificateAsync(WebhookInstance webhook, Func<X509Certificate2, bool> wanted)
    {
        var served = await ServedCertificateAsync(webhook);
        for (var attempt = 0; attempt < 50 && !wanted(served); attempt++)
        {
            await Task.Delay(100);
            served = await ServedCertificateAsync(webhook);
        }

        return served;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
