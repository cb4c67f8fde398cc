using System.Text.Json.Nodes;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec.Model;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// A real registry holding spec artifacts pushed by hand, and the webhook serving HTTPS in front of it, configured
/// through a host settings file that reaches 127.0.0.1 over plain HTTP and serves the namespaces shop and batch.
/// </summary>
public sealed class AdmissionFixture : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private RegistryServer? registry;
    private WebhookInstance? webhook;

    public RegistryServer Registry => registry ?? throw new InvalidOperationException("not started");

    internal WebhookInstance Webhook => webhook ?? throw new InvalidOperationException("not started");

    internal TestCertificateAuthority Authority { get; } = TestCertificateAuthority.Create();

    /// <summary>A spec with both summary annotations: base pinned by digest and mount path /app.</summary>
    public string HelloSpec => $"{Registry.Host}/apps/hello-spec:1.0";

    public Descriptor HelloManifest { get; private set; } = null!;

    public string HelloBase => $"{Registry.Host}/library/openjdk:17.0.2-jre@sha256:{new string('7', 64)}";

    /// <summary>The hello spec's reference pinned to the digest the webhook resolves it to.</summary>
    public string HelloPinned => $"{HelloSpec}@{HelloManifest.Digest}";

    /// <summary>The review file <paramref name="name"/> from Reviews/, for <paramref name="spec"/> (default: the hello spec).</summary>
    internal JsonObject Review(string name, string? spec = null) => Reviews.Load(name, new Dictionary<string, string>
    {
        ["SPEC"] = spec ?? HelloSpec,
        ["PINNED"] = HelloPinned,
        ["DIGEST"] = HelloManifest.Digest,
    });

    /// <summary>A spec with no base and no mount: a set of files for any image, mounted where the pod says.</summary>
    public string FilesSpec => $"{Registry.Host}/apps/files-spec:1.0";

    /// <summary>An ORAS artifact that is not a spec.</summary>
    public string PlainArtifact => $"{Registry.Host}/apps/plain:1.0";

    internal RegistryClient Client { get; } = new(new RegistryClientOptions
    {
        Hosts = HostSettings.Empty.WithGlobalOverrides(plainHttp: true, insecure: false),
    });

    public async Task InitializeAsync()
    {
        registry = await RegistryServer.StartAsync(RegistryAuth.Anonymous);
        HelloManifest = await SpecArtifactPusher.PushAsync(
            Client.GetRepository(HelloSpec), "1.0", SpecArtifactPusher.SpecJson("hello-java", HelloBase, "/app"),
            new Dictionary<string, string> { [SpecArtifact.BaseAnnotation] = HelloBase, [SpecArtifact.MountPathAnnotation] = "/app" });
        await SpecArtifactPusher.PushAsync(Client.GetRepository(FilesSpec), "1.0", SpecArtifactPusher.SpecJson("files", null, null), new Dictionary<string, string>());
        await SpecArtifactPusher.PushAsync(
            Client.GetRepository(PlainArtifact), "1.0", "not a spec"u8.ToArray(), new Dictionary<string, string>(),
            artifactType: "application/vnd.unknown.artifact.v1", layerMediaType: "application/vnd.oci.image.layer.v1.tar");

        var config = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(config, """
            registries:
              "127.0.0.1:*":
                plainHttp: true
            webhook:
              namespaces: [shop, batch]
            """);
        webhook = await WebhookInstance.StartAsync(Authority, temp.Path, options => options with { ConfigFile = config });
    }

    public async Task DisposeAsync()
    {
        if (webhook is not null)
        {
            await webhook.DisposeAsync();
        }

        if (registry is not null)
        {
            await registry.DisposeAsync();
        }

        Client.Dispose();
        Authority.Dispose();
        temp.Dispose();
    }
}
