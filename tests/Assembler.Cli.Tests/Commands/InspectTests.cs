using System.Text.Json;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

public sealed class InspectTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task An_artifact_shows_its_type_annotations_and_titled_layers()
    {
        var file = temp.Combine("hello.txt");
        await File.WriteAllTextAsync(file, "hello\n");
        var folder = SampleTrees.Create(temp.Path, "site");
        var reference = $"{Server.Host}/inspect/artifact:1";
        var pack = await CliProcess.RunAsync("pack", "--plain-http", reference, file, folder, "-a", "team=platform");

        var text = await CliProcess.RunAsync("inspect", "--plain-http", reference);
        var json = await CliProcess.RunAsync("inspect", "--plain-http", reference, "--output", "json");

        Assert.Equal(0, text.ExitCode);
        var lines = text.Stdout.Split('\n');
        Assert.Contains($"Reference:     {reference}", lines);
        Assert.Contains($"Digest:        {pack.Stdout.Trim()}", lines);
        Assert.Contains("Media type:    application/vnd.oci.image.manifest.v1+json", lines);
        Assert.Contains("Artifact type: application/vnd.unknown.artifact.v1", lines);
        Assert.Contains("  team: platform", lines);
        Assert.Contains("Layers (2):", lines);
        Assert.Contains("  1. hello.txt", lines);
        Assert.Contains("     size:          6 bytes", lines);
        Assert.Contains($"     digest:        {Digest.ComputeSha256("hello\n"u8)}", lines);
        Assert.Contains("  2. site", lines);
        Assert.Contains("       io.deis.oras.content.unpack: true", lines);

        Assert.Equal(0, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        var root = report.RootElement;
        Assert.Equal(pack.Stdout.Trim(), root.GetProperty("digest").GetString());
        Assert.Equal("application/vnd.unknown.artifact.v1", root.GetProperty("artifactType").GetString());
        Assert.Equal(MediaTypes.Empty, root.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal("platform", root.GetProperty("annotations").GetProperty("team").GetString());
        var layers = root.GetProperty("layers");
        Assert.Equal(2, layers.GetArrayLength());
        Assert.Equal(("hello.txt", "application/vnd.oci.image.layer.v1.tar", 6), (layers[0].GetProperty("title").GetString(), layers[0].GetProperty("mediaType").GetString(), layers[0].GetProperty("size").GetInt32()));
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", layers[1].GetProperty("mediaType").GetString());
        Assert.False(root.TryGetProperty("manifests", out _));
    }

    [Fact]
    public async Task An_index_shows_its_manifests_with_platforms()
    {
        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository($"{Server.Host}/inspect/multi");
        var amd64 = await PushImageAsync(repository, "amd64");
        var arm64 = await PushImageAsync(repository, "arm64");
        var index = await repository.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(new Oci.Index
        {
            Manifests =
            [
                amd64 with { Platform = new Platform { Os = "linux", Architecture = "amd64" } },
                arm64 with { Platform = new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" } },
            ],
        }));
        await repository.TagAsync(index, "1.0");

        var text = await CliProcess.RunAsync("inspect", "--plain-http", $"{Server.Host}/inspect/multi:1.0");
        var json = await CliProcess.RunAsync("inspect", "--plain-http", $"{Server.Host}/inspect/multi:1.0", "--output", "json");

        Assert.Equal(0, text.ExitCode);
        var lines = text.Stdout.Split('\n');
        Assert.Contains("Media type:    application/vnd.oci.image.index.v1+json", lines);
        Assert.Contains("Manifests (2):", lines);
        Assert.Contains("  1. linux/amd64", lines);
        Assert.Contains("  2. linux/arm64/v8", lines);
        Assert.Contains($"     digest:        {amd64.Digest}", lines);

        using var report = JsonDocument.Parse(json.Stdout);
        var manifests = report.RootElement.GetProperty("manifests");
        Assert.Equal(["linux/amd64", "linux/arm64/v8"], manifests.EnumerateArray().Select(m => m.GetProperty("platform").GetString()));
        Assert.Equal(arm64.Digest, manifests[1].GetProperty("digest").GetString());
    }

    [Fact]
    public async Task An_image_says_it_is_a_container_image_for_its_platform()
    {
        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository($"{Server.Host}/inspect/image");
        var image = await PushImageAsync(repository, "arm64");
        await repository.TagAsync(image, "1");

        var text = await CliProcess.RunAsync("inspect", "--plain-http", $"{Server.Host}/inspect/image:1");
        var json = await CliProcess.RunAsync("inspect", "--plain-http", "--output", "json", $"{Server.Host}/inspect/image:1");

        Assert.Equal(0, text.ExitCode);
        var lines = text.Stdout.Split('\n');
        Assert.Contains("Type:          container image (linux/arm64)", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("Artifact type:", StringComparison.Ordinal));
        Assert.Contains("  1. (no title)", lines);

        // JSON keeps artifactType as it was and adds the kind and platform.
        Assert.Equal(0, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.Equal("application/vnd.oci.image.config.v1+json", report.RootElement.GetProperty("artifactType").GetString());
        Assert.Equal("container image", report.RootElement.GetProperty("type").GetString());
        Assert.Equal("linux/arm64", report.RootElement.GetProperty("platform").GetString());
    }

    [Fact]
    public async Task An_artifact_is_not_called_a_container_image()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a");
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/inspect/not-image:1", file)).ExitCode);

        var json = await CliProcess.RunAsync("inspect", "--plain-http", "--output", "json", $"{Server.Host}/inspect/not-image:1");

        Assert.Equal(0, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.False(report.RootElement.TryGetProperty("type", out _));
        Assert.False(report.RootElement.TryGetProperty("platform", out _));
    }

    [Fact]
    public async Task Pulling_an_index_says_to_pick_a_manifest()
    {
        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository($"{Server.Host}/inspect/pull-index");
        var image = await PushImageAsync(repository, "amd64");
        var index = await repository.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(new Oci.Index { Manifests = [image] }));
        await repository.TagAsync(index, "1");

        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/inspect/pull-index:1", "-o", temp.Combine("out"));

        Assert.Equal(2, pull.ExitCode);
        Assert.Equal($"Error: {Server.Host}/inspect/pull-index:1 is an image index with no manifest for any platform: pull one of its manifests by digest\n", pull.Stderr);
    }

    [Fact]
    public async Task Tags_lists_the_repository_tags()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a");
        foreach (var tag in new[] { "1.0", "1.1", "latest" })
        {
            Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/inspect/tagged:{tag}", file)).ExitCode);
        }

        var tags = await CliProcess.RunAsync("tags", "--plain-http", $"{Server.Host}/inspect/tagged");

        Assert.Equal(0, tags.ExitCode);
        Assert.Equal(["1.0", "1.1", "latest"], tags.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    private static async Task<Descriptor> PushImageAsync(ITarget store, string architecture)
    {
        var config = await store.PushBytesAsync(MediaTypes.ImageConfig, System.Text.Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"{architecture}\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}}}}"));
        var layer = await store.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(System.Text.Encoding.UTF8.GetBytes(architecture)));
        return await store.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
    }
}
