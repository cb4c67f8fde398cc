using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using OrasAssemble.Tests.Containers;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Images;

/// <summary>
/// The webhook's image (deploy/webhook/Dockerfile, built by scripts/build-test-images.sh) run in podman as
/// deploy/webhook/deployment.yaml runs it: the image's non-root user, a read-only root file system with a tmpfs at
/// /tmp, no capabilities, no privilege escalation, the serving certificate mounted as its secret volume presents it.
/// A client that trusts only the test CA and checks the host name calls its health endpoints over HTTPS.
/// </summary>
public sealed class WebhookImageTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _temp = new();
    private readonly TestCertificateAuthority _authority = TestCertificateAuthority.Create();
    private Podman? _podman;

    public async Task InitializeAsync() => _podman = await Podman.CreateAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_podman is not null)
            {
                await _podman.DisposeAsync();
            }
        }
        finally
        {
            _authority.Dispose();
            _temp.Dispose();
        }
    }

    [Fact]
    public async Task The_image_serves_health_over_https_with_the_mounted_certificate_as_a_non_root_user()
    {
        var tls = _temp.Combine("tls");
        Directory.CreateDirectory(tls);
        var pair = _authority.Issue(tls, "tls");
        foreach (var file in new[] { pair.CertificateFile, pair.KeyFile })
        {
            // As a secret volume presents its files (defaultMode 0644), so the image's user can read them.
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        Directory.CreateDirectory(_temp.Combine("registry"));
        var port = FreePort();
        var image = await _podman!.LoadAsync(await TestImages.GetLayoutAsync(), TestImages.Webhook);
        var id = await _podman.StartAsync(
            "--network", "host",
            "--read-only",
            "--tmpfs", "/tmp",
            "--cap-drop", "all",
            "--security-opt", "no-new-privileges",
            "-v", $"{tls}:/etc/oras-assemble/tls:ro",
            "-v", $"{_temp.Combine("registry")}:/etc/oras-assemble/registry:ro",
            image,
            // The deployment's arguments, on a free loopback port and without the config map.
            $"--listen=127.0.0.1:{port}",
            "--tls-cert-file=/etc/oras-assemble/tls/tls.crt",
            "--tls-private-key-file=/etc/oras-assemble/tls/tls.key",
            "--registry-config=/etc/oras-assemble/registry/.dockerconfigjson",
            "--failure-policy=Fail",
            "--resolve-timeout=5s");
        X509Certificate2? served = null;
        using var client = _authority.CreateClient(seen: certificate => served = certificate);
        var baseUri = new Uri($"https://127.0.0.1:{port}");

        var health = await WhenUpAsync(client, new Uri(baseUri, "/healthz"), id);
        var ready = await client.GetStringAsync(new Uri(baseUri, "/readyz"));

        Assert.Equal("ok\n", health);
        Assert.Equal("ok\n", ready);
        using var issued = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(pair.CertificateFile));
        Assert.Equal(issued.Thumbprint, served?.Thumbprint);
        var user = await _podman.CheckAsync("exec", id, "grep", "^Uid:", "/proc/1/status");
        Assert.Equal("Uid:\t65532\t65532\t65532\t65532", user.Trim());
        var write = await _podman.RunAsync("exec", id, "touch", "/app/written");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Output, StringComparison.Ordinal);
    }

    /// <summary>GETs <paramref name="uri"/> until the webhook answers, failing at once with its logs if it stopped.</summary>
    private async Task<string> WhenUpAsync(HttpClient client, Uri uri, string id)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            try
            {
                return await client.GetStringAsync(uri);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException)
            {
                var (running, logs) = await _podman!.StateAsync(id);
                if (!running)
                {
                    throw new InvalidOperationException($"the webhook's container stopped before it served {uri}:\n{logs}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the webhook's container did not serve {uri} within {StartTimeout.TotalSeconds:0} s");
                }

                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
