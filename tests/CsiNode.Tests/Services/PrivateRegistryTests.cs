using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>
/// Credentials and multi-tenancy against a registry with token auth, where anonymous callers may pull only
/// <c>public/</c> repositories. The spec is public; the application it assembles is not.
/// </summary>
public sealed class PrivateRegistryTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>, IDisposable
{
    private readonly RegistryClient _pusher = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = KubernetesSecretCredentials.FromBasicAuth(fixture.Server.Host, TestUsers.Username, TestUsers.Password),
    });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _pusher.Dispose();

    private Dictionary<string, string> BasicSecret(string password = TestUsers.ReadOnlyPassword) => new()
    {
        [KubernetesSecretCredentials.UsernameKey] = TestUsers.ReadOnlyUsername,
        [KubernetesSecretCredentials.PasswordKey] = password,
    };

    private Dictionary<string, string> DockerConfigSecret() => new() { [KubernetesSecretCredentials.DockerConfigJsonKey] = DockerConfigJson() };

    private string DockerConfigJson()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestUsers.ReadOnlyUsername}:{TestUsers.ReadOnlyPassword}"));
        return JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [Server.Host] = new { auth } } });
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

    private int BlobGets() => Server.Count("GET", new Regex("^/v2/[a-z/-]+/blobs/sha256:"));

    [Fact]
    public async Task A_cached_tree_goes_only_to_pods_whose_own_credentials_read_every_source()
    {
        var spec = await PushAsync("tenant");
        await using var plugin = await PluginUnderTest.StartAsync();

        var owner = await plugin.Kubelet.PublishAsync(TestPod.Create("owner", "team-a"), Volume(spec), BasicSecret());
        Server.ClearRequests();
        var anonymous = TestPod.Create("intruder", "team-b");
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(anonymous, Volume(spec)));
        var wrong = await Assert.ThrowsAsync<GrpcCallException>(() =>
            plugin.Kubelet.PublishAsync(TestPod.Create("guesser", "team-b"), Volume(spec), BasicSecret("not-the-password")));
        var colleague = await plugin.Kubelet.PublishAsync(TestPod.Create("colleague", "team-a"), Volume(spec), DockerConfigSecret());

        Assert.Equal("private bytes of tenant", await File.ReadAllTextAsync(Path.Combine(owner, "secret.txt")));
        Assert.Contains(refused.Status, new[] { StatusCode.Unauthenticated, StatusCode.PermissionDenied });
        Assert.Contains("private/tenant", refused.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(plugin.Kubelet.TargetPath(anonymous.Uid, anonymous.VolumeName)));
        Assert.Contains(wrong.Status, new[] { StatusCode.Unauthenticated, StatusCode.PermissionDenied });
        Assert.Equal("private bytes of tenant", await File.ReadAllTextAsync(Path.Combine(colleague, "secret.txt")));
        Assert.Equal(0, BlobGets());
    }

    [Fact]
    public async Task Without_tenancy_enforcement_the_cached_tree_is_shared()
    {
        var spec = await PushAsync("shared");
        await using var plugin = await PluginUnderTest.StartAsync("""
            registries:
              "127.0.0.1:*": { plainHttp: true }
            tenancy:
              enforce: false
            """);
        await plugin.Kubelet.PublishAsync(TestPod.Create("owner"), Volume(spec), BasicSecret());

        var anonymous = await plugin.Kubelet.PublishAsync(TestPod.Create("anyone"), Volume(spec));

        Assert.Equal("private bytes of shared", await File.ReadAllTextAsync(Path.Combine(anonymous, "secret.txt")));
    }

    [Fact]
    public async Task A_private_artifact_mounts_with_a_secret_and_is_unauthenticated_without_one()
    {
        await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/whole"), "1.0", [("a.txt", "a", "text/plain")]);
        await using var plugin = await PluginUnderTest.StartAsync();
        var reference = $"{Server.Host}/private/whole:1.0";

        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("with"), Volume(reference), DockerConfigSecret());
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("without"), Volume(reference)));

        Assert.Equal("a", await File.ReadAllTextAsync(Path.Combine(target, "a.txt")));
        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
    }

    [Fact]
    public async Task A_pod_refused_a_tag_this_node_has_pinned_is_told_the_tag_and_never_the_pinned_digest()
    {
        await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/app"), "1", [("a.txt", "a", "text/plain")]);
        await using var plugin = await PluginUnderTest.StartAsync();
        var reference = $"{Server.Host}/private/app:1";
        await plugin.Kubelet.PublishAsync(TestPod.Create("owner", "team-a"), Volume(reference), DockerConfigSecret());

        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("other", "team-b"), Volume(reference)));

        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
        Assert.Contains(reference, refused.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256:", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_refused_a_cached_trees_private_source_is_told_the_source_as_the_spec_names_it()
    {
        var spec = await PushAsync("pinned-source");
        await using var plugin = await PluginUnderTest.StartAsync();
        await plugin.Kubelet.PublishAsync(TestPod.Create("owner", "team-a"), Volume(spec), BasicSecret());

        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("other", "team-b"), Volume(spec)));

        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
        Assert.Contains($"{Server.Host}/private/pinned-source:1.0", refused.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256:", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_nodes_registry_config_serves_pods_without_a_secret_and_a_pods_own_secret_comes_first()
    {
        var spec = await PushAsync("node-creds");
        await using var plugin = await PluginUnderTest.StartAsync(registryConfig: DockerConfigJson());

        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("no-secret"), Volume(spec));
        var wrong = await Assert.ThrowsAsync<GrpcCallException>(() =>
            plugin.Kubelet.PublishAsync(TestPod.Create("own-wrong-secret"), Volume(spec), BasicSecret("not-the-password")));

        Assert.Equal("private bytes of node-creds", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.Equal(StatusCode.Unauthenticated, wrong.Status);
    }

    [Fact]
    public async Task Secrets_never_reach_the_logs()
    {
        var spec = await PushAsync("quiet");
        await using var plugin = await PluginUnderTest.StartAsync();

        await plugin.Kubelet.PublishAsync(TestPod.Create("owner"), Volume(spec), BasicSecret());
        await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("wrong"), Volume(spec), BasicSecret("wrong-password-123")));

        var logs = string.Join("\n", plugin.Logs.Entries);
        Assert.Contains("NodePublishVolume", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(TestUsers.ReadOnlyPassword, logs, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-123", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestUsers.ReadOnlyUsername}:{TestUsers.ReadOnlyPassword}")), logs, StringComparison.Ordinal);
    }
}
