using System.Formats.Tar;
using System.Text.Json;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>assemble --output json</c>: the tree, how it came about and what it was built from, for programs.</summary>
public sealed class AssembleJsonOutputTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Json_output_names_the_tree_its_sources_the_special_entries_left_out_and_whether_owners_were_kept()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "srv/") { Mode = (UnixFileMode)0x1ED });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "srv/data") { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream("data"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "srv/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = (UnixFileMode)0x1B6 });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "srv/queue") { Mode = (UnixFileMode)0x180 });
        }

        using var client = RegistryClients.PlainHttp();
        var reference = $"{fixture.Server.Host}/asm-json/rootfs:1";
        var image = await SpecFixtures.PushTarImageAsync(client.GetRepository($"{fixture.Server.Host}/asm-json/rootfs"), "1", tar.ToArray());
        File.SetUnixFileMode(temp.Path, (UnixFileMode)0x1FF);
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: json }
            sources:
              img: { ref: {{reference}} }
            steps:
              - copy: { from: img, path: /srv, to: /srv }
            """);
        var cache = temp.Combine("cache");

        var built = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("a"), "--cache", cache, "--output", "json");
        var cached = await CliProcess.RunAsync(
            "assemble", "--plain-http", spec, "--out", temp.Combine("b"), "--cache", cache, "--output", "json", "--pull-policy", "Always");
        var unprivileged = await CliProcess.RunAsNobodyAsync(
            temp.Path, "assemble", "--plain-http", spec, "--out", temp.Combine("c"), "--cache", temp.Combine("nobody-cache"), "--output", "json");

        Assert.True(built.ExitCode == 0, built.Stderr);
        using var first = JsonDocument.Parse(built.Stdout);
        var root = first.RootElement;
        var key = root.GetProperty("key").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(Path.Combine(cache, "trees", key), root.GetProperty("tree").GetString());
        Assert.Equal(temp.Combine("a"), root.GetProperty("out").GetString());
        Assert.Equal("built", root.GetProperty("origin").GetString());
        var source = Assert.Single(root.GetProperty("sources").EnumerateArray().ToList());
        Assert.Equal("img", source.GetProperty("name").GetString());
        Assert.Equal(reference, source.GetProperty("reference").GetString());
        Assert.Equal(image.Digest, source.GetProperty("manifestDigest").GetString());
        Assert.True(source.GetProperty("image").GetBoolean());
        Assert.Matches("^sha256:[0-9a-f]{64}$", Assert.Single(source.GetProperty("layers").EnumerateArray().ToList()).GetString());
        Assert.Equal(2, root.GetProperty("skippedSpecialFiles").GetInt64());
        Assert.True(root.GetProperty("ownersKept").GetBoolean());
        Assert.Equal(["srv", "srv/data"], Directory.EnumerateFileSystemEntries(temp.Combine("a"), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(temp.Combine("a"), p)).Order(StringComparer.Ordinal));

        // A cached tree was not built by this call: what its build left out is not known here.
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        using var second = JsonDocument.Parse(cached.Stdout);
        Assert.Equal(key, second.RootElement.GetProperty("key").GetString());
        Assert.Equal("cached", second.RootElement.GetProperty("origin").GetString());
        Assert.Equal(image.Digest, second.RootElement.GetProperty("sources")[0].GetProperty("manifestDigest").GetString());
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("skippedSpecialFiles").ValueKind);
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("ownersKept").ValueKind);

        Assert.True(unprivileged.ExitCode == 0, unprivileged.Stderr);
        using var third = JsonDocument.Parse(unprivileged.Stdout);
        Assert.Equal("built", third.RootElement.GetProperty("origin").GetString());
        Assert.False(third.RootElement.GetProperty("ownersKept").GetBoolean());
        Assert.Equal(2, third.RootElement.GetProperty("skippedSpecialFiles").GetInt64());
    }

    [Fact]
    public async Task Json_output_counts_the_files_directories_and_links_of_a_tree_it_built_and_of_no_other()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "srv/") { Mode = (UnixFileMode)0x1ED });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "srv/a") { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream("a"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "srv/sub/") { Mode = (UnixFileMode)0x1ED });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "srv/sub/b") { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream("b"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "srv/to-a") { LinkName = "a" });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "srv/same-a") { LinkName = "srv/a" });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/left-out") { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream("x"u8.ToArray()) });
        }

        using var client = RegistryClients.PlainHttp();
        var reference = $"{fixture.Server.Host}/asm-json/counted:1";
        await SpecFixtures.PushTarImageAsync(client.GetRepository($"{fixture.Server.Host}/asm-json/counted"), "1", tar.ToArray());
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: counted }
            sources:
              img: { ref: {{reference}} }
            steps:
              - copy: { from: img, path: /srv, to: /srv }
              - link: { path: /srv/sub/up, target: ../a }
            """);
        var cache = temp.Combine("cache");

        var built = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("a"), "--cache", cache, "--output", "json");
        var cached = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("b"), "--cache", cache, "--output", "json");

        Assert.True(built.ExitCode == 0, built.Stderr);
        using var first = JsonDocument.Parse(built.Stdout);
        var entries = first.RootElement.GetProperty("entries");
        // srv/a, srv/same-a and srv/sub/b; srv and srv/sub; srv/to-a and srv/sub/up.
        Assert.Equal((3, 2, 2), (entries.GetProperty("files").GetInt64(), entries.GetProperty("directories").GetInt64(), entries.GetProperty("links").GetInt64()));
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        using var second = JsonDocument.Parse(cached.Stdout);
        Assert.NotEqual("built", second.RootElement.GetProperty("origin").GetString());
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("entries").ValueKind);
    }
}
