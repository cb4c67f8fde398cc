using System.Globalization;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>push</c> against a real registry: the spec artifact's exact shape, <c>--lock</c>, and what stops a push.</summary>
public sealed class PushTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task The_spec_artifact_has_the_documented_manifest_layer_and_annotations()
    {
        using var client = RegistryClients.PlainHttp();
        var baseIndex = await SpecFixtures.PushBaseIndexAsync(client.GetRepository($"{Server.Host}/push/jre"), "17");
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            # A comment and YAML layout that the canonical JSON drops.
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: hello-java }
            base: { image: {{Server.Host}}/push/jre:17, platform: linux/amd64 }
            mount: { path: /app }
            sources:
              app: { ref: {{Server.Host}}/push/app:1.0 }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar, mode: "755" }
            """);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/push/spec:1.0");

        Assert.Equal(0, push.ExitCode);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", push.Stdout);
        var repository = client.GetRepository($"{Server.Host}/push/spec");
        var (descriptor, content) = await repository.FetchAsync("1.0");
        var bytes = await ContentExtensions.ReadVerifiedAsync(content, descriptor, default);
        Assert.Equal(push.Stdout.Trim(), descriptor.Digest);
        Assert.Equal(MediaTypes.ImageManifest, descriptor.MediaType);

        var manifest = OciJson.Deserialize<Manifest>(bytes, "manifest");
        Assert.Equal(MediaTypes.ImageManifest, manifest.MediaType);
        Assert.Equal("application/vnd.oras-assemble.spec.v1", manifest.ArtifactType);
        Assert.Equal(Descriptor.Empty, manifest.Config);
        var layer = Assert.Single(manifest.Layers);
        Assert.Equal("application/vnd.oras-assemble.spec.v1+json", layer.MediaType);
        Assert.Equal("assembly.json", layer.Title);
        var expected = SpecJson.Serialize((await SpecDocument.LoadFileAsync(file)).GetValidSpec().Model);
        Assert.Equal(expected, await TestBlobs.ReadAsync(repository, layer));
        Assert.Contains("\"mode\":\"0755\"", System.Text.Encoding.UTF8.GetString(expected), StringComparison.Ordinal);

        var annotations = manifest.Annotations!;
        Assert.Equal(
            ["land.oras.assemble.base", "land.oras.assemble.mount-path", "org.opencontainers.image.created", "org.opencontainers.image.title"],
            annotations.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"{Server.Host}/push/jre:17@{baseIndex.Digest}", annotations["land.oras.assemble.base"]);
        Assert.Equal("/app", annotations["land.oras.assemble.mount-path"]);
        Assert.Equal("hello-java", annotations["org.opencontainers.image.title"]);
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", annotations["org.opencontainers.image.created"]);
        Assert.InRange(DateTimeOffset.Parse(annotations["org.opencontainers.image.created"], CultureInfo.InvariantCulture), before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Lock_pins_every_source_and_the_base_by_digest()
    {
        using var client = RegistryClients.PlainHttp();
        var baseIndex = await SpecFixtures.PushBaseIndexAsync(client.GetRepository($"{Server.Host}/lock/base"), "3");
        await File.WriteAllTextAsync(temp.Combine("app.jar"), "jar bytes");
        await File.WriteAllTextAsync(temp.Combine("app.properties"), "a=b\n");
        var app = (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/lock/app:1", temp.Combine("app.jar"))).Stdout.Trim();
        var conf = (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/lock/conf:1", temp.Combine("app.properties"))).Stdout.Trim();
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: locked }
            base: { image: {{Server.Host}}/lock/base:3 }
            sources:
              app: { ref: {{Server.Host}}/lock/app:1 }
              conf: { ref: "{{Server.Host}}/lock/conf:1@{{conf}}" }
            steps:
              - copy: { from: app, path: app.jar, to: /app.jar }
              - copy: { from: conf, path: app.properties, to: /conf/ }
            """);

        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/lock/spec:1", "--lock");

        Assert.Equal(0, push.ExitCode);
        var repository = client.GetRepository($"{Server.Host}/lock/spec");
        var manifest = OciJson.Deserialize<Manifest>(await TestBlobs.ReadAsync(repository, await repository.ResolveAsync("1")), "manifest");
        var spec = SpecJson.Deserialize(await TestBlobs.ReadAsync(repository, manifest.Layers[0])).Model;
        Assert.Equal($"{Server.Host}/lock/app@{app}", spec.Sources["app"].Ref);
        Assert.Equal($"{Server.Host}/lock/conf:1@{conf}", spec.Sources["conf"].Ref);
        Assert.Equal($"{Server.Host}/lock/base@{baseIndex.Digest}", spec.Base!.Image);
        Assert.Equal($"{Server.Host}/lock/base:3@{baseIndex.Digest}", manifest.Annotations!["land.oras.assemble.base"]);
    }

    [Fact]
    public async Task An_invalid_spec_is_reported_line_by_line_and_nothing_is_pushed()
    {
        SpecFixtures.WriteSpec(temp.Path, """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: bad }
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - copy: { from: app, path: a, to: /a, mode: "0999" }
            """);

        var push = await CliProcess.RunAsync(["push", "--plain-http", "assembly.yaml", $"{Server.Host}/push/invalid:1"], stdin: null, workingDirectory: temp.Path);
        var tags = await CliProcess.RunAsync("tags", "--plain-http", $"{Server.Host}/push/invalid");

        Assert.Equal(2, push.ExitCode);
        Assert.Equal("assembly.yaml:7:41: steps[0].copy.mode: must be an octal mode of 3 or 4 digits, such as \"0644\" or \"0755\"\n", push.Stderr);
        Assert.Empty(push.Stdout);
        Assert.Empty(tags.Stdout);
    }

    [Fact]
    public async Task A_source_that_lock_cannot_resolve_names_its_field_and_fails()
    {
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: missing }
            sources:
              app: { ref: {{Server.Host}}/push/nothing-here:1 }
            steps:
              - copy: { from: app, path: a, to: /a }
            """);

        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/push/missing:1", "--lock");

        Assert.Equal(1, push.ExitCode);
        Assert.StartsWith($"Error: sources.app.ref: ", push.Stderr, StringComparison.Ordinal);
        Assert.Contains("not found", push.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_base_without_the_spec_platform_is_refused()
    {
        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushBaseIndexAsync(client.GetRepository($"{Server.Host}/push/amd-only"), "1");
        var file = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: arm }
            base: { image: {{Server.Host}}/push/amd-only:1, platform: linux/arm64 }
            sources:
              app: { ref: {{Server.Host}}/push/app:1 }
            steps:
              - copy: { from: app, path: a, to: /a }
            """);

        var push = await CliProcess.RunAsync("push", "--plain-http", file, $"{Server.Host}/push/arm:1");

        Assert.Equal(1, push.ExitCode);
        Assert.Equal("Error: base.image: no manifest for platform linux/arm64 in the index (it offers: linux/amd64)\n", push.Stderr);
    }
}
