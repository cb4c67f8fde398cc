using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec.Model;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Metrics;
using OrasAssemble.Webhook.Specs;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Specs;

/// <summary>Spec resolution against a real registry: what is asked of it, what is cached, and how failures read.</summary>
public sealed class SpecResolverTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private static readonly HostSettings PlainHttp = HostSettings.Empty.WithGlobalOverrides(plainHttp: true, insecure: false);

    private readonly RegistryClient pusher = new(new RegistryClientOptions { Hosts = PlainHttp });
    private readonly RegistryClient client = new(new RegistryClientOptions { Hosts = PlainHttp });
    private readonly ManualTimeProvider time = new();
    private readonly WebhookMetrics metrics = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose()
    {
        pusher.Dispose();
        client.Dispose();
        metrics.Dispose();
    }

    [Fact]
    public async Task The_manifest_annotations_are_enough_and_the_spec_layer_is_not_fetched()
    {
        var reference = $"{Server.Host}/resolve/annotated:1.0";
        var baseImage = $"{Server.Host}/library/openjdk:17-jre@sha256:{new string('a', 64)}";
        var manifest = await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("a", baseImage, "/app"),
            Summary(baseImage, "/app"));
        Server.ClearRequests();

        var spec = await Resolver().ResolveAsync(Reference.Parse(reference), default);

        Assert.Equal($"{reference}@{manifest.Digest}", spec.Reference.ToString());
        Assert.Equal(manifest.Digest, spec.Digest);
        Assert.Equal(baseImage, spec.BaseImage);
        Assert.Equal("/app", spec.MountPath);
        Assert.Equal(1, Server.Count("HEAD", "/v2/resolve/annotated/manifests/1.0"));
        Assert.Equal(1, Server.Count("GET", $"/v2/resolve/annotated/manifests/{manifest.Digest}"));
        Assert.Equal(0, Server.Count("GET", "/v2/resolve/annotated/blobs/"));
    }

    [Fact]
    public async Task Without_annotations_the_spec_layer_says_base_and_mount_and_a_tagged_base_is_pinned()
    {
        var reference = $"{Server.Host}/resolve/bare:1.0";
        var image = await SpecArtifactPusher.PushImageAsync(pusher.GetRepository($"{Server.Host}/library/busybox:1.36"), "1.36");
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0",
            SpecArtifactPusher.SpecJson("bare", $"{Server.Host}/library/busybox:1.36", "/opt/tools"), new Dictionary<string, string>());
        Server.ClearRequests();

        var spec = await Resolver().ResolveAsync(Reference.Parse(reference), default);

        Assert.Equal($"{Server.Host}/library/busybox:1.36@{image.Digest}", spec.BaseImage);
        Assert.Equal("/opt/tools", spec.MountPath);
        Assert.Equal(1, Server.Count("GET", "/v2/resolve/bare/blobs/sha256:"));
    }

    [Fact]
    public async Task A_spec_without_base_reads_its_layer_to_find_that_out()
    {
        var reference = $"{Server.Host}/resolve/files:1.0";
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("files", null, "/data"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/data" });

        var spec = await Resolver().ResolveAsync(Reference.Parse(reference), default);

        Assert.Null(spec.BaseImage);
        Assert.Equal("/data", spec.MountPath);
    }

    [Fact]
    public async Task A_revision_is_read_once_then_only_its_tag_is_resolved_until_the_cache_entry_expires()
    {
        var reference = $"{Server.Host}/resolve/cached:1.0";
        var manifest = await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("c", null, "/app"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });
        var resolver = Resolver(ttl: TimeSpan.FromMinutes(10));
        await resolver.ResolveAsync(Reference.Parse(reference), default);
        Server.ClearRequests();

        var byTag = await resolver.ResolveAsync(Reference.Parse(reference), default);
        var tagRequests = Server.Requests.Count(r => r.Path.StartsWith("/v2/resolve/cached/", StringComparison.Ordinal));
        Server.ClearRequests();
        var byDigest = await resolver.ResolveAsync(Reference.Parse($"{Server.Host}/resolve/cached@{manifest.Digest}"), default);
        var digestRequests = Server.Requests.Count(r => r.Path.StartsWith("/v2/resolve/cached/", StringComparison.Ordinal));
        time.Advance(TimeSpan.FromMinutes(11));
        Server.ClearRequests();
        var expired = await resolver.ResolveAsync(Reference.Parse(reference), default);

        Assert.Equal(1, tagRequests);
        Assert.Equal(0, digestRequests);
        Assert.Equal(1, Server.Count("GET", $"/v2/resolve/cached/manifests/{manifest.Digest}"));
        Assert.Equal([manifest.Digest, manifest.Digest, manifest.Digest], new[] { byTag.Digest, byDigest.Digest, expired.Digest });
        Assert.Equal(2, metrics.Count(SpecResolutionResult.Cached));
        Assert.Equal(2, metrics.Count(SpecResolutionResult.Fetched));
    }

    [Fact]
    public async Task Concurrent_admissions_of_a_new_revision_read_its_manifest_once()
    {
        var reference = $"{Server.Host}/resolve/burst:1.0";
        var manifest = await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("b", null, null),
            new Dictionary<string, string>());
        var resolver = Resolver();
        Server.ClearRequests();

        var specs = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => resolver.ResolveAsync(Reference.Parse(reference), default)));

        Assert.All(specs, s => Assert.Equal(manifest.Digest, s.Digest));
        Assert.Equal(1, Server.Count("GET", $"/v2/resolve/burst/manifests/{manifest.Digest}"));
        Assert.Equal(1, Server.Count("GET", "/v2/resolve/burst/blobs/"));
    }

    [Fact]
    public async Task An_invalid_spec_layer_is_refused_naming_the_field()
    {
        var reference = $"{Server.Host}/resolve/invalid:1.0";
        var broken = Encoding.UTF8.GetBytes("""{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"x"},"mount":{"path":"relative"},"sources":{},"steps":[]}""");
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", broken, new Dictionary<string, string>());

        var error = await Assert.ThrowsAsync<SpecResolutionException>(() => Resolver().ResolveAsync(Reference.Parse(reference), default));

        Assert.Equal(SpecResolutionFailure.Invalid, error.Failure);
        Assert.StartsWith($"spec {reference}@sha256:", error.Message, StringComparison.Ordinal);
        Assert.Contains("mount.path", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Count(SpecResolutionResult.Invalid));
    }

    [Fact]
    public async Task A_spec_artifact_without_its_spec_layer_is_refused_as_the_spec_reader_words_it()
    {
        var reference = $"{Server.Host}/resolve/layerless:1.0";
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("l", null, "/app"),
            new Dictionary<string, string>(), layerMediaType: "application/json");

        var error = await Assert.ThrowsAsync<SpecResolutionException>(() => Resolver().ResolveAsync(Reference.Parse(reference), default));

        Assert.Equal(SpecResolutionFailure.Invalid, error.Failure);
        Assert.Matches(
            $"^spec {Regex.Escape(reference)}@sha256:[0-9a-f]{{64}} cannot be used: an assembly spec has exactly one layer of type application/vnd\\.oras-assemble\\.spec\\.v1\\+json; this one has 0$",
            error.Message);
        Assert.Equal(1, metrics.Count(SpecResolutionResult.Invalid));
    }

    [Fact]
    public async Task A_base_annotation_that_is_not_pinned_is_refused()
    {
        var reference = $"{Server.Host}/resolve/unpinned:1.0";
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("u", "busybox:1.36", "/app"),
            Summary("busybox:1.36", "/app"));

        var error = await Assert.ThrowsAsync<SpecResolutionException>(() => Resolver().ResolveAsync(Reference.Parse(reference), default));

        Assert.Equal(SpecResolutionFailure.Invalid, error.Failure);
        Assert.EndsWith("its land.oras.assemble.base annotation \"busybox:1.36\" is not an image reference pinned by digest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_image_index_is_not_a_spec()
    {
        var reference = $"{Server.Host}/resolve/index:1.0";
        var image = await SpecArtifactPusher.PushImageAsync(pusher.GetRepository(reference), "image");
        var index = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"{{image.MediaType}}","digest":"{{image.Digest}}","size":{{image.Size}}}]}""");
        var descriptor = Oci.Descriptor.Create(index, Oci.MediaTypes.ImageIndex);
        await pusher.GetRepository(reference).PushAsync(descriptor, new MemoryStream(index), "1.0");

        var error = await Assert.ThrowsAsync<SpecResolutionException>(() => Resolver().ResolveAsync(Reference.Parse(reference), default));

        Assert.Equal(SpecResolutionFailure.Invalid, error.Failure);
        Assert.Contains("cannot be used: this is an image index (application/vnd.oci.image.index.v1+json), not an assembly spec", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_that_never_answers_fails_within_the_timeout_as_unavailable()
    {
        await using var hole = new BlackHoleServer();
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SpecResolutionException>(
            () => Resolver(timeout: TimeSpan.FromSeconds(1)).ResolveAsync(Reference.Parse($"{hole.Host}/apps/spec:1.0"), default));

        Assert.Equal(SpecResolutionFailure.Unavailable, error.Failure);
        Assert.Equal($"cannot resolve spec {hole.Host}/apps/spec:1.0: registry {hole.Host} did not answer within 1s", error.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.True(hole.Accepted >= 1);
        Assert.Equal(1, metrics.Count(SpecResolutionResult.Unavailable));
    }

    [Fact]
    public async Task A_registry_that_refuses_connections_is_unavailable()
    {
        var port = ClosedPort();

        var error = await Assert.ThrowsAsync<SpecResolutionException>(
            () => Resolver(timeout: TimeSpan.FromSeconds(3)).ResolveAsync(Reference.Parse($"127.0.0.1:{port}/apps/spec:1.0"), default));

        Assert.Equal(SpecResolutionFailure.Unavailable, error.Failure);
        Assert.StartsWith($"cannot resolve spec 127.0.0.1:{port}/apps/spec:1.0: cannot reach registry 127.0.0.1:{port}: Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_resolution_is_not_cached()
    {
        var reference = $"{Server.Host}/resolve/late:1.0";
        var resolver = Resolver();
        var missing = await Assert.ThrowsAsync<SpecResolutionException>(() => resolver.ResolveAsync(Reference.Parse(reference), default));
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("late", null, "/app"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });

        var spec = await resolver.ResolveAsync(Reference.Parse(reference), default);

        Assert.Equal(SpecResolutionFailure.Invalid, missing.Failure);
        Assert.Contains("not found", missing.Message, StringComparison.Ordinal);
        Assert.Equal("/app", spec.MountPath);
    }

    [Fact]
    public async Task A_private_spec_resolves_with_the_docker_config_credentials_and_is_refused_without()
    {
        await using var registry = await RegistryServer.StartAsync(RegistryAuth.Basic);
        using var temp = new TempDirectory();
        var reference = $"{registry.Host}/private/spec:1.0";
        var credentials = new StaticCredentialProvider([new(registry.Host, new Credential(registry.Username, registry.Password))]);
        using (var privatePusher = new RegistryClient(new RegistryClientOptions { Hosts = PlainHttp, Credentials = credentials }))
        {
            await SpecArtifactPusher.PushAsync(privatePusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("p", null, "/app"),
                new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });
        }

        var config = temp.Combine("config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.ReadOnlyUsername}:{registry.ReadOnlyPassword}"));
        var auths = new JsonObject { ["auths"] = new JsonObject { [registry.Host] = new JsonObject { ["auth"] = auth } } };
        await File.WriteAllTextAsync(config, auths.ToJsonString());
        using var withConfig = new RegistryClient(new RegistryClientOptions { Hosts = PlainHttp, Credentials = new DockerConfigCredentialStore(config) });

        var spec = await Resolver(withConfig).ResolveAsync(Reference.Parse(reference), default);
        var refused = await Assert.ThrowsAsync<SpecResolutionException>(() => Resolver().ResolveAsync(Reference.Parse(reference), default));

        Assert.Equal("/app", spec.MountPath);
        Assert.Equal(SpecResolutionFailure.Unavailable, refused.Failure);
        Assert.StartsWith($"cannot resolve spec {reference}: the registry refused the webhook's credentials", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_config_file_that_does_not_exist_means_anonymous_access()
    {
        var reference = $"{Server.Host}/resolve/public:1.0";
        await SpecArtifactPusher.PushAsync(pusher.GetRepository(reference), "1.0", SpecArtifactPusher.SpecJson("p", null, "/app"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });
        using var temp = new TempDirectory();
        using var withMissingConfig = new RegistryClient(new RegistryClientOptions
        {
            Hosts = PlainHttp,
            Credentials = new DockerConfigCredentialStore(temp.Combine("registry", ".dockerconfigjson")),
        });

        var spec = await Resolver(withMissingConfig).ResolveAsync(Reference.Parse(reference), default);

        Assert.Equal("/app", spec.MountPath);
    }

    private SpecResolver Resolver(RegistryClient? through = null, TimeSpan? timeout = null, TimeSpan? ttl = null) => new(
        through ?? client,
        new SpecResolverOptions { Timeout = timeout ?? TimeSpan.FromSeconds(10), CacheTtl = ttl ?? TimeSpan.FromMinutes(10) },
        time,
        metrics,
        NullLogger<SpecResolver>.Instance);

    private static Dictionary<string, string> Summary(string baseImage, string mountPath) => new()
    {
        [SpecArtifact.BaseAnnotation] = baseImage,
        [SpecArtifact.MountPathAnnotation] = mountPath,
    };

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
