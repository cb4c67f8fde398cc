using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.Kubernetes;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Credentials;

/// <summary>
/// <c>credentials.podPullSecrets</c>: a volume without a <c>nodePublishSecretRef</c> is pulled with the pod's own image
/// pull secrets, read from an API server (the in-process fake), against a token-auth registry where anonymous callers
/// may pull only <c>public/</c>. The spec is public; the application it assembles is not.
/// </summary>
public sealed class PodPullSecretTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>, IAsyncLifetime
{
    private const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";

    private readonly RegistryClient _pusher = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = KubernetesSecretCredentials.FromBasicAuth(fixture.Server.Host, TestUsers.Username, TestUsers.Password),
    });

    private FakeApiServer _api = null!;

    private RegistryServer Server => fixture.Server;

    private static string Config(string apiTimeout = "5s") => $$"""
        registries:
          "127.0.0.1:*": { plainHttp: true }
        credentials:
          podPullSecrets: true
          apiTimeout: {{apiTimeout}}
        """;

    public async Task InitializeAsync() => _api = await FakeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        _pusher.Dispose();
        await _api.DisposeAsync();
    }

    private string ReaderConfigJson(string password = TestUsers.ReadOnlyPassword) =>
        FakeApiServer.DockerConfigJson(Server.Host, TestUsers.ReadOnlyUsername, password);

    private void AddDockerConfigSecret(string @namespace, string name, string json) =>
        _api.AddSecret(@namespace, name, DockerConfigJsonType, new Dictionary<string, string> { [KubernetesSecretCredentials.DockerConfigJsonKey] = json });

    /// <summary>A pod known to the API server under the same name, namespace and uid kubelet passes.</summary>
    private TestPod Pod(string name, string @namespace, IEnumerable<string>? imagePullSecrets = null, string? serviceAccount = null)
    {
        var pod = TestPod.Create(name, @namespace);
        _api.AddPod(@namespace, name, imagePullSecrets, serviceAccount, pod.Uid);
        return pod;
    }

    /// <summary>A public spec over a private artifact; returns the spec's reference.</summary>
    private async Task<string> PushAsync(string name)
    {
        await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/{name}"), "1.0",
            [("secret.txt", $"private bytes of {name}", "text/plain")]);
        await SpecArtifactPusher.PushAsync(_pusher.GetRepository($"{Server.Host}/public/{name}-spec"), "1.0", $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{name}} }
            sources:
              app: { ref: {{Server.Host}}/private/{{name}}:1.0 }
            steps:
              - copy: { from: app, path: secret.txt, to: /secret.txt }
            """);
        return $"{Server.Host}/public/{name}-spec:1.0";
    }

    private static Dictionary<string, string> Volume(string reference) => new() { [VolumeContextKeys.Reference] = reference };

    [Fact]
    public async Task A_pods_pull_secret_that_reads_the_spec_mounts_it_and_one_that_cannot_is_refused_as_a_publish_secret_would_be()
    {
        var spec = await PushAsync("own");
        AddDockerConfigSecret("team-a", "reader", ReaderConfigJson());
        AddDockerConfigSecret("team-b", "reader", ReaderConfigJson("not-the-password"));
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);

        var target = await plugin.Kubelet.PublishAsync(Pod("app", "team-a", ["reader"]), Volume(spec));
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(Pod("app", "team-b", ["reader"]), Volume(spec)));
        var requests = _api.Requests.Count;
        var publishSecret = new Dictionary<string, string> { [KubernetesSecretCredentials.DockerConfigJsonKey] = ReaderConfigJson("not-the-password") };
        var refusedWithPublishSecret = await Assert.ThrowsAsync<GrpcCallException>(() =>
            plugin.Kubelet.PublishAsync(TestPod.Create("other", "team-b"), Volume(spec), publishSecret));

        Assert.Equal("private bytes of own", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.Equal(refusedWithPublishSecret.Status, refused.Status);
        Assert.Contains(refused.Status, new[] { StatusCode.Unauthenticated, StatusCode.PermissionDenied });
        Assert.Equal(refusedWithPublishSecret.Detail, refused.Detail);
        Assert.Contains("token service", refused.Detail, StringComparison.Ordinal);

        // A volume with a nodePublishSecretRef never asks the API server; the pods each read their own namespace.
        Assert.Equal(requests, _api.Requests.Count);
        Assert.Contains("/api/v1/namespaces/team-a/secrets/reader", _api.Requests);
        Assert.Contains("/api/v1/namespaces/team-b/secrets/reader", _api.Requests);
        var logs = string.Join("\n", plugin.Logs.Entries);
        Assert.DoesNotContain(TestUsers.ReadOnlyPassword, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestUsers.ReadOnlyUsername}:{TestUsers.ReadOnlyPassword}")), logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_each_registry_the_first_secret_with_an_entry_for_it_is_used_legacy_dockercfg_included_and_missing_ones_skipped()
    {
        var spec = await PushAsync("ordered");
        AddDockerConfigSecret("team-a", "elsewhere", FakeApiServer.DockerConfigJson("registry.example", TestUsers.ReadOnlyUsername, "for-another-registry"));
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestUsers.ReadOnlyUsername}:{TestUsers.ReadOnlyPassword}"));
        _api.AddSecret("team-a", "legacy", "kubernetes.io/dockercfg", new Dictionary<string, string>
        {
            [KubernetesSecretCredentials.DockerCfgKey] = JsonSerializer.Serialize(new Dictionary<string, object> { [Server.Host] = new { auth } }),
        });
        AddDockerConfigSecret("team-a", "later", ReaderConfigJson("not-the-password"));
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);

        var target = await plugin.Kubelet.PublishAsync(Pod("app", "team-a", ["missing", "elsewhere", "legacy", "later"]), Volume(spec));

        Assert.Equal("private bytes of ordered", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.Contains("/api/v1/namespaces/team-a/secrets/missing", _api.Requests);
    }

    [Fact]
    public async Task A_pull_secret_the_registry_refuses_is_followed_by_the_next_and_when_all_are_refused_the_first_refusal_is_answered()
    {
        var spec = await PushAsync("fallback");
        AddDockerConfigSecret("team-a", "stale", ReaderConfigJson("an-old-password"));
        AddDockerConfigSecret("team-a", "current", ReaderConfigJson());
        AddDockerConfigSecret("team-a", "revoked", ReaderConfigJson("a-revoked-password"));
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);
        var onlyStale = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(Pod("one", "team-a", ["stale"]), Volume(spec)));

        var target = await plugin.Kubelet.PublishAsync(Pod("app", "team-a", ["stale", "current"]), Volume(spec));
        var allRefused = await Assert.ThrowsAsync<GrpcCallException>(() =>
            plugin.Kubelet.PublishAsync(Pod("none", "team-a", ["stale", "revoked"]), Volume(spec)));

        Assert.Equal("private bytes of fallback", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.Equal(onlyStale.Status, allRefused.Status);
        Assert.Equal(onlyStale.Detail, allRefused.Detail);
        Assert.Contains("/api/v1/namespaces/team-a/secrets/revoked", _api.Requests);
        var logs = string.Join("\n", plugin.Logs.Entries);
        Assert.DoesNotContain("an-old-password", logs, StringComparison.Ordinal);
        Assert.DoesNotContain("a-revoked-password", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_accounts_pull_secret_is_used_when_the_pod_names_none()
    {
        var spec = await PushAsync("account");
        AddDockerConfigSecret("team-a", "builder-pull", ReaderConfigJson());
        _api.AddServiceAccount("team-a", "builder", ["builder-pull"]);
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);

        var target = await plugin.Kubelet.PublishAsync(Pod("app", "team-a", serviceAccount: "builder"), Volume(spec));
        var withoutAccount = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(Pod("plain", "team-a"), Volume(spec)));

        Assert.Equal("private bytes of account", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.Contains("/api/v1/namespaces/team-a/serviceaccounts/builder", _api.Requests);

        // The pod that names no service account runs as "default", which has no pull secret here: anonymous.
        Assert.Contains("/api/v1/namespaces/team-a/serviceaccounts/default", _api.Requests);
        Assert.Equal(StatusCode.Unauthenticated, withoutAccount.Status);
    }

    [Fact]
    public async Task With_the_opt_in_off_the_API_server_is_never_asked()
    {
        var spec = await PushAsync("off");
        AddDockerConfigSecret("team-a", "reader", ReaderConfigJson());
        await using var plugin = await PluginUnderTest.StartAsync(apiServer: _api.Url);

        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(Pod("app", "team-a", ["reader"]), Volume(spec)));

        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task A_slow_API_server_fails_the_publish_with_UNAVAILABLE_naming_it_within_the_timeout_and_the_next_attempt_succeeds()
    {
        var spec = await PushAsync("slow");
        AddDockerConfigSecret("team-a", "reader", ReaderConfigJson());
        await using var plugin = await PluginUnderTest.StartAsync(Config(apiTimeout: "1s"), apiServer: _api.Url);
        var pod = Pod("app", "team-a", ["reader"]);
        _api.Delay = TimeSpan.FromSeconds(60);

        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(pod, Volume(spec)));
        var took = clock.Elapsed;
        _api.Delay = TimeSpan.Zero;
        var target = await plugin.Kubelet.PublishAsync(pod, Volume(spec));

        Assert.Equal(StatusCode.Unavailable, refused.Status);
        Assert.Equal(
            $"cannot read pod team-a/app from the API server {_api.Url} for the pod's pull secrets: no answer within 1s (credentials.apiTimeout)",
            refused.Detail);
        Assert.True(took < TimeSpan.FromSeconds(30), $"the refusal took {took}");
        Assert.Equal("private bytes of slow", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
    }

    [Fact]
    public async Task An_API_server_that_is_down_or_refuses_fails_the_publish_with_UNAVAILABLE_naming_it()
    {
        var spec = await PushAsync("down");
        _api.Forbidden["secrets"] = true;
        await using var forbidding = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);
        var forbidden = await Assert.ThrowsAsync<GrpcCallException>(() => forbidding.Kubelet.PublishAsync(Pod("app", "team-a", ["reader"]), Volume(spec)));

        var down = await FakeApiServer.StartAsync();
        var url = down.Url;
        await down.DisposeAsync();
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: url);
        var clock = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("app", "team-a"), Volume(spec)));

        Assert.Equal(StatusCode.Unavailable, forbidden.Status);
        Assert.Equal(
            $"cannot read secret team-a/reader from the API server {_api.Url} for the pod's pull secrets: 403 Forbidden; the node plugin's service account needs get on pods, serviceaccounts and secrets (deploy/csi/components/pod-pull-secrets)",
            forbidden.Detail);
        Assert.Equal(StatusCode.Unavailable, refused.Status);
        Assert.StartsWith($"cannot read pod team-a/app from the API server {url} for the pod's pull secrets: ", refused.Detail, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the refusal took {clock.Elapsed}");
    }

    [Fact]
    public async Task Pods_of_one_workload_publishing_at_once_share_one_read_of_their_service_account_and_secret()
    {
        var spec = await PushAsync("workload");
        AddDockerConfigSecret("batch", "job-pull", ReaderConfigJson());
        _api.AddServiceAccount("batch", "runner", ["job-pull"]);
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);
        var pods = Enumerable.Range(0, 6).Select(i => Pod($"job-{i}", "batch", serviceAccount: "runner")).ToList();

        var targets = await Task.WhenAll(pods.Select(pod => plugin.Kubelet.PublishAsync(pod, Volume(spec))));

        Assert.All(targets, target => Assert.Equal("private bytes of workload", File.ReadAllText(Path.Combine(target, "secret.txt"))));
        Assert.Equal(6, _api.Count("pods"));
        Assert.Equal(1, _api.Count("serviceaccounts"));
        Assert.Equal(1, _api.Count("secrets"));
    }

    [Fact]
    public async Task Without_pod_info_in_the_volume_context_the_publish_is_refused_naming_podInfoOnMount()
    {
        var spec = await PushAsync("no-pod-info");
        await using var plugin = await PluginUnderTest.StartAsync(Config(), apiServer: _api.Url);
        var request = plugin.Kubelet.PublishRequest(TestPod.Create("app", "team-a"), Volume(spec));
        request.VolumeContext.Remove(VolumeContextKeys.PodName);
        request.VolumeContext.Remove(VolumeContextKeys.PodNamespace);

        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, refused.Status);
        Assert.Contains("the CSIDriver object must set podInfoOnMount: true", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(_api.Requests);
    }
}
