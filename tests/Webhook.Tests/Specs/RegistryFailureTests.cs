using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec.Model;
using OrasAssemble.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Specs;

/// <summary>
/// What a pod gets when the webhook cannot ask the registry: refused (fail closed) or admitted unchanged with a
/// warning (fail open), in bounded time either way; and credentials for private specs from <c>--registry-config</c>.
/// </summary>
public sealed class RegistryFailureTests : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly TestCertificateAuthority authority = TestCertificateAuthority.Create();
    private readonly BlackHoleServer hole = new();
    private string config = "";

    public async Task InitializeAsync()
    {
        config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, "registries:\n  \"127.0.0.1:*\": {plainHttp: true}\n");
    }

    public async Task DisposeAsync()
    {
        await hole.DisposeAsync();
        authority.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task Fail_closed_refuses_the_pod_within_the_resolve_timeout_naming_the_registry()
    {
        await using var webhook = await StartAsync(FailurePolicy.Fail);
        var watch = Stopwatch.StartNew();

        var answer = await webhook.ReviewAsync(Review($"{hole.Host}/apps/hello-spec:1.0"));

        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Equal("6a1f1d6e-2b0c-4c55-8f0b-6e0d1c9e7b42", answer.Uid);
        Assert.False(answer.Allowed);
        Assert.Equal(503, answer.Code);
        Assert.Equal("ServiceUnavailable", answer.Reason);
        Assert.Equal($"cannot resolve spec {hole.Host}/apps/hello-spec:1.0: registry {hole.Host} did not answer within 1s", answer.Message);
    }

    [Fact]
    public async Task Fail_open_admits_the_pod_unchanged_with_a_warning()
    {
        await using var webhook = await StartAsync(FailurePolicy.Ignore);

        var answer = await webhook.ReviewAsync(Review($"{hole.Host}/apps/hello-spec:1.0"));
        var metrics = PrometheusText.Parse(await webhook.Client.GetStringAsync(new Uri(webhook.BaseUri, "/metrics")));

        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
        Assert.Equal(
            [$"admitted without the assembled volume of assemble.oras.land/spec (the webhook's failure policy is Ignore): cannot resolve spec {hole.Host}/apps/hello-spec:1.0: registry {hole.Host} did not answer within 1s"],
            answer.Warnings);
        Assert.Equal(1, metrics.Value("oras_assemble_webhook_admissions_total", ("outcome", "failed_open")));
        Assert.Contains(webhook.Logs.Entries, e => e.EventId == 2005);
    }

    [Fact]
    public async Task Fail_open_still_refuses_what_is_wrong_with_the_pod_itself()
    {
        await using var webhook = await StartAsync(FailurePolicy.Ignore);

        var answer = await webhook.ReviewAsync(Reviews.Annotate(Review($"{hole.Host}/apps/hello-spec:1.0"), "assemble.oras.land/containers", "nope"));

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Equal(0, hole.Accepted);
    }

    [Fact]
    public async Task A_private_spec_is_read_with_the_credentials_of_registry_config()
    {
        await using var registry = await RegistryServer.StartAsync(RegistryAuth.Basic);
        var spec = $"{registry.Host}/private/hello-spec:1.0";
        var hosts = HostSettings.Empty.WithGlobalOverrides(plainHttp: true, insecure: false);
        var push = new StaticCredentialProvider([new(registry.Host, new Credential(registry.Username, registry.Password))]);
        using (var pusher = new RegistryClient(new RegistryClientOptions { Hosts = hosts, Credentials = push }))
        {
            await SpecArtifactPusher.PushAsync(pusher.GetRepository(spec), "1.0", SpecArtifactPusher.SpecJson("p", null, "/app"),
                new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });
        }

        var dockerConfig = temp.Combine("config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.ReadOnlyUsername}:{registry.ReadOnlyPassword}"));
        await File.WriteAllTextAsync(dockerConfig, new JsonObject { ["auths"] = new JsonObject { [registry.Host] = new JsonObject { ["auth"] = auth } } }.ToJsonString());
        await using var anonymous = await StartAsync(FailurePolicy.Fail, timeout: TimeSpan.FromSeconds(10));
        await using var authenticated = await StartAsync(FailurePolicy.Fail, dockerConfig, TimeSpan.FromSeconds(10));

        var refused = await anonymous.ReviewAsync(Review(spec));
        var wired = await authenticated.ReviewAsync(Review(spec));

        Assert.False(refused.Allowed);
        Assert.Equal(503, refused.Code);
        Assert.StartsWith($"cannot resolve spec {spec}: the registry refused the webhook's credentials", refused.Message, StringComparison.Ordinal);
        Assert.True(wired.Allowed, wired.ToString());
        Assert.StartsWith($"{spec}@sha256:", (string?)wired.ApplyTo(Review(spec))["spec"]!["volumes"]![0]!["csi"]!["volumeAttributes"]!["oras.artifact.reference"], StringComparison.Ordinal);
    }

    private async Task<WebhookInstance> StartAsync(FailurePolicy policy, string? registryConfig = null, TimeSpan? timeout = null)
    {
        var directory = Directory.CreateDirectory(temp.Combine(Guid.NewGuid().ToString("N"))).FullName;
        return await WebhookInstance.StartAsync(authority, directory, options => options with
        {
            FailurePolicy = policy,
            ResolveTimeout = timeout ?? TimeSpan.FromSeconds(1),
            ConfigFile = config,
            RegistryConfigFile = registryConfig,
        });
    }

    private static JsonObject Review(string spec) => Reviews.Load("bare-pod", new Dictionary<string, string> { ["SPEC"] = spec });
}
