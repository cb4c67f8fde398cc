using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>pull</c> of an image index: the platform chosen with <c>--platform</c>, or an error listing them.</summary>
public sealed class PullPlatformTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Pull_with_a_platform_writes_that_platforms_files()
    {
        var index = await PushTwoPlatformIndexAsync("pp1");

        var arm = await CliProcess.RunAsync("pull", "--plain-http", index, "--platform", "linux/arm64", "-o", temp.Combine("arm"));
        var amd = await CliProcess.RunAsync("pull", "--plain-http", index, "--platform", "linux/amd64", "-o", temp.Combine("amd"));

        Assert.Equal(0, arm.ExitCode);
        Assert.Equal(0, amd.ExitCode);
        Assert.Equal("built for linux/arm64\n", await File.ReadAllTextAsync(temp.Combine("arm", "app.txt")));
        Assert.Equal("built for linux/amd64\n", await File.ReadAllTextAsync(temp.Combine("amd", "app.txt")));
        Assert.Equal(await DigestOfAsync("pp1", "arm64") + "\n", arm.Stdout);
    }

    [Fact]
    public async Task Pull_of_an_index_without_a_platform_lists_the_platforms_and_writes_nothing()
    {
        var index = await PushTwoPlatformIndexAsync("pp2");

        var pull = await CliProcess.RunAsync("pull", "--plain-http", index, "-o", temp.Combine("out"));

        Assert.Equal(2, pull.ExitCode);
        Assert.Equal($"Error: {index} is an image index: choose one of its platforms with --platform (linux/amd64, linux/arm64)\n", pull.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task Pull_with_a_platform_the_index_lacks_names_the_ones_it_has()
    {
        var index = await PushTwoPlatformIndexAsync("pp3");

        var pull = await CliProcess.RunAsync("pull", "--plain-http", index, "--platform", "linux/s390x", "-o", temp.Combine("out"));
        var malformed = await CliProcess.RunAsync("pull", "--plain-http", index, "--platform", "linux", "-o", temp.Combine("out"));

        Assert.Equal(1, pull.ExitCode);
        Assert.Equal("Error: no manifest for platform linux/s390x in the index (it offers: linux/amd64, linux/arm64)\n", pull.Stderr);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Equal("Error: --platform: invalid platform \"linux\": expected os/architecture[/variant], e.g. linux/amd64\n", malformed.Stderr);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    /// <summary>Packs one file artifact per platform with the CLI, then pushes an index over the two.</summary>
    private async Task<string> PushTwoPlatformIndexAsync(string repository)
    {
        var entries = new List<Descriptor>();
        using var client = RegistryClients.PlainHttp();
        var repo = client.GetRepository($"{Server.Host}/{repository}/app");
        foreach (var architecture in new[] { "amd64", "arm64" })
        {
            var folder = Directory.CreateDirectory(temp.Combine("src-" + architecture)).FullName;
            await File.WriteAllTextAsync(Path.Combine(folder, "app.txt"), $"built for linux/{architecture}\n");
            var pack = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/{repository}/app:{architecture}", Path.Combine(folder, "app.txt"));
            Assert.Equal(0, pack.ExitCode);
            var manifest = await repo.ResolveAsync(architecture);
            entries.Add(manifest with { Platform = new Platform { Os = "linux", Architecture = architecture } });
        }

        var index = await repo.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(new Oci.Index { Manifests = entries }));
        await repo.TagAsync(index, "1");
        return $"{Server.Host}/{repository}/app:1";
    }

    private async Task<string> DigestOfAsync(string repository, string tag)
    {
        using var client = RegistryClients.PlainHttp();
        return (await client.GetRepository($"{Server.Host}/{repository}/app").ResolveAsync(tag)).Digest;
    }
}
