using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Hosting;

/// <summary>
/// The webhook honours the <c>transfer:</c> section of its <c>--config</c>: the registry client it resolves specs
/// with abandons a stalled body at the configured idle timeout, asks again, and logs the retry.
/// </summary>
public sealed class TransferSettingsTests : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly TestCertificateAuthority authority = TestCertificateAuthority.Create();
    private FaultyRegistry registry = null!;

    public async Task InitializeAsync() => registry = await FaultyRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await registry.DisposeAsync();
        authority.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task A_manifest_stalled_after_its_headers_is_asked_for_again_at_the_configured_idle_timeout_and_the_retry_is_logged()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"u8.ToArray();
        var descriptor = registry.AddManifest("1.0", manifest);
        registry.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            context.Response.ContentType = MediaTypes.ImageManifest;
            context.Response.ContentLength = manifest.Length;
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted).ContinueWith(_ => { });
            return true;
        };
        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries:
              "127.0.0.1:*": { plainHttp: true }
            transfer:
              idleTimeout: 1s
            """);
        await using var webhook = await WebhookInstance.StartAsync(authority, temp.Path, options => options with
        {
            ConfigFile = config,
            ResolveTimeout = TimeSpan.FromSeconds(10),
        });
        var client = webhook.Services.GetRequiredService<RegistryClient>();

        var (fetched, _) = await client.GetRepository($"{registry.Host}/apps/spec").FetchAsync("1.0");

        Assert.Equal(descriptor.Digest, fetched.Digest);
        Assert.Equal(2, registry.Count("GET", "/v2/apps/spec/manifests/1.0"));
        var retry = Assert.Single(webhook.Logs.Entries, e => e.EventId == 3003);
        Assert.Equal(LogLevel.Warning, retry.Level);
        Assert.Equal(
            $"Retrying manifest apps/spec:1.0 from {registry.Host}, attempt 2 of 3, after the registry sent nothing in 1s (transfer.idleTimeout)",
            retry.Message);
    }
}
