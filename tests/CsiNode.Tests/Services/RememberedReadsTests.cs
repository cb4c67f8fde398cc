using System.Text;
using System.Text.Json;
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
/// tenancy.verifiedFor against the token-auth registry (anonymous callers read only <c>public/</c>): a registry read
/// that succeeded with a pod's credentials stands in for the next publish with the same credentials, and for nothing
/// else. Requests are counted in the registry's own access log.
/// </summary>
public sealed class RememberedReadsTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>, IDisposable
{
    private readonly RegistryClient _pusher = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = KubernetesSecretCredentials.FromBasicAuth(fixture.Server.Host, TestUsers.Username, TestUsers.Password),
    });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _pusher.Dispose();

    private static string Config(string verifiedFor) => $$"""
        registries:
          "127.0.0.1:*": { plainHttp: true }
        tenancy:
          verifiedFor: {{verifiedFor}}
        """;

    private static Dictionary<string, string> BasicSecret(string password = TestUsers.ReadOnlyPassword) => new()
    {
        [KubernetesSecretCredentials.UsernameKey] = TestUsers.ReadOnlyUsername,
        [KubernetesSecretCredentials.PasswordKey] = password,
    };

    /// <summary>The same user and password as <see cref="BasicSecret"/>, written as another secret would hold them.</summary>
    private Dictionary<string, string> DockerConfigSecret()
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestUsers.ReadOnlyUsername}:{TestUsers.ReadOnlyPassword}"));
        var json = JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [Server.Host] = new { auth } } });
        return new() { [KubernetesSecretCredentials.DockerConfigJsonKey] = json };
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

    private static Dictionary<string, string> Volume(string reference, string? pullPolicy = null)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = reference };
        if (pullPolicy is not null)
        {
            volume[VolumeContextKeys.PullPolicy] = pullPolicy;
        }

        return volume;
    }

    /// <summary>Manifest requests (GET or HEAD) for the spec or its private source since the last clear.</summary>
    private int ManifestRequests(string name) =>
        Server.Requests.Count(r => r.Path.Contains("/manifests/", StringComparison.Ordinal)
            && (r.Path.StartsWith($"/v2/private/{name}/", StringComparison.Ordinal) || r.Path.StartsWith($"/v2/public/{name}-spec/", StringComparison.Ordinal)));

    /// <summary>Publishes once with <paramref name="secret"/> so the tree is cached and the read remembered, then forgets the requests.</summary>
    private async Task<string> WarmAsync(PluginUnderTest plugin, string spec, Dictionary<string, string> secret)
    {
        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("owner", "team-a"), Volume(spec), secret);
        Server.ClearRequests();
        return target;
    }

    [Fact]
    public async Task A_warm_publish_with_the_same_credentials_makes_no_registry_request()
    {
        var spec = await PushAsync("same-creds");
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, spec, BasicSecret());

        var again = await plugin.Kubelet.PublishAsync(TestPod.Create("colleague", "team-a"), Volume(spec), BasicSecret());

        Assert.Equal("private bytes of same-creds", await File.ReadAllTextAsync(Path.Combine(again, "secret.txt")));
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task Other_credentials_go_to_the_registry_and_wrong_ones_are_refused()
    {
        var spec = await PushAsync("other-creds");
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, spec, BasicSecret());

        var other = await plugin.Kubelet.PublishAsync(TestPod.Create("other-secret", "team-a"), Volume(spec), DockerConfigSecret());
        var asked = ManifestRequests("other-creds");
        var wrong = await Assert.ThrowsAsync<GrpcCallException>(() =>
            plugin.Kubelet.PublishAsync(TestPod.Create("guesser", "team-b"), Volume(spec), BasicSecret("not-the-password")));

        Assert.Equal("private bytes of other-creds", await File.ReadAllTextAsync(Path.Combine(other, "secret.txt")));
        Assert.True(asked >= 2, $"the spec and its source were asked for {asked} times with other credentials");
        Assert.Equal(StatusCode.Unauthenticated, wrong.Status);
    }

    [Fact]
    public async Task An_anonymous_pod_is_refused_a_private_source_another_pod_read_moments_ago()
    {
        var spec = await PushAsync("anonymous");
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, spec, BasicSecret());

        var anonymous = TestPod.Create("intruder", "team-b");
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(anonymous, Volume(spec)));

        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
        Assert.Contains($"{Server.Host}/private/anonymous:1.0", refused.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(plugin.Kubelet.TargetPath(anonymous.Uid, anonymous.VolumeName)));
        Assert.True(ManifestRequests("anonymous") > 0);
    }

    [Fact]
    public async Task A_read_stands_in_for_the_window_after_the_registry_answered_however_often_it_is_used()
    {
        var spec = await PushAsync("expiry");
        await using var plugin = await PluginUnderTest.StartAsync(Config("5s"));
        await WarmAsync(plugin, spec, BasicSecret());

        await plugin.Kubelet.PublishAsync(TestPod.Create("within", "team-a"), Volume(spec), BasicSecret());
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await plugin.Kubelet.PublishAsync(TestPod.Create("still-within", "team-a"), Volume(spec), BasicSecret());
        var within = Server.Requests.Count;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await plugin.Kubelet.PublishAsync(TestPod.Create("after", "team-a"), Volume(spec), BasicSecret());

        Assert.Equal(0, within);
        Assert.True(Server.Count("GET", "/v2/public/expiry-spec/manifests/") + Server.Count("HEAD", "/v2/public/expiry-spec/manifests/") >= 1,
            "the spec's tag was not asked for again once the window after the first read had passed");
        Assert.True(Server.Count("HEAD", "/v2/private/expiry/manifests/") >= 1);
    }

    [Fact]
    public async Task Pull_policy_Always_asks_the_registry_every_time()
    {
        var spec = await PushAsync("always");
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, spec, BasicSecret());

        await plugin.Kubelet.PublishAsync(TestPod.Create("always-1", "team-a"), Volume(spec, "Always"), BasicSecret());
        var first = ManifestRequests("always");
        Server.ClearRequests();
        await plugin.Kubelet.PublishAsync(TestPod.Create("always-2", "team-a"), Volume(spec, "Always"), BasicSecret());

        Assert.True(first >= 2, $"first Always publish asked {first} times");
        Assert.True(ManifestRequests("always") >= 2);
    }

    [Fact]
    public async Task A_restarted_plugin_has_forgotten_every_read()
    {
        var spec = await PushAsync("restart");
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, spec, BasicSecret());

        await plugin.RestartAsync();
        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("after-restart", "team-a"), Volume(spec), BasicSecret());

        Assert.Equal("private bytes of restart", await File.ReadAllTextAsync(Path.Combine(target, "secret.txt")));
        Assert.True(ManifestRequests("restart") >= 2);
    }

    [Fact]
    public async Task With_a_window_of_0_every_publish_asks_the_registry()
    {
        var spec = await PushAsync("window-zero");
        await using var plugin = await PluginUnderTest.StartAsync(Config("0"));
        await WarmAsync(plugin, spec, BasicSecret());

        await plugin.Kubelet.PublishAsync(TestPod.Create("again", "team-a"), Volume(spec), BasicSecret());

        // The spec's tag, the manifest it is pinned to, and the source: as before remembered reads existed.
        Assert.Equal(3, ManifestRequests("window-zero"));
    }

    [Fact]
    public async Task A_digest_reference_read_with_the_same_credentials_is_served_without_a_registry_request()
    {
        await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/by-digest"), "1", [("a.txt", "a", "text/plain")]);
        var digest = (await _pusher.GetRepository($"{Server.Host}/private/by-digest").ResolveAsync("1")).Digest;
        var reference = $"{Server.Host}/private/by-digest@{digest}";
        await using var plugin = await PluginUnderTest.StartAsync();
        await WarmAsync(plugin, reference, DockerConfigSecret());

        var again = await plugin.Kubelet.PublishAsync(TestPod.Create("again", "team-a"), Volume(reference), DockerConfigSecret());
        var requests = Server.Requests.Count;
        var refused = await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("anonymous", "team-b"), Volume(reference)));

        Assert.Equal("a", await File.ReadAllTextAsync(Path.Combine(again, "a.txt")));
        Assert.Equal(StatusCode.Unauthenticated, refused.Status);
        Assert.Equal(0, requests);
    }
}
