using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

public sealed class PackPullTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Files_and_folders_come_back_byte_for_byte_with_their_modes_and_links()
    {
        var folder = SampleTrees.Create(temp.Path);
        var file = temp.Combine("notes ✓.txt");
        await File.WriteAllTextAsync(file, "top-level file\n");
        var empty = temp.Combine("empty.bin");
        await File.WriteAllBytesAsync(empty, []);
        var reference = $"{Server.Host}/roundtrip/app:1.0";

        var pack = await CliProcess.RunAsync("pack", "--plain-http", reference, folder, file, empty);
        var pull = await CliProcess.RunAsync("pull", "--plain-http", reference, "-o", temp.Combine("out"));

        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(0, pull.ExitCode);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", pack.Stdout);
        Assert.Equal(pack.Stdout, pull.Stdout);
        Assert.Equal(TreeSnapshot.Of(folder), TreeSnapshot.Of(temp.Combine("out", "app")));
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(temp.Combine("out", "notes ✓.txt")));
        Assert.Empty(await File.ReadAllBytesAsync(temp.Combine("out", "empty.bin")));
        Assert.Equal(["app", "empty.bin", "notes ✓.txt"], Directory.EnumerateFileSystemEntries(temp.Combine("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_same_folder_packed_twice_gives_the_same_layer_even_after_its_times_change()
    {
        var folder = SampleTrees.Create(temp.Path);
        var first = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/repro/app:1", folder);
        foreach (var path in Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Where(p => new FileInfo(p).LinkTarget is null))
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-3));
        }

        var second = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/repro/app:2", folder);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        var one = Assert.Single((await ManifestAsync($"{Server.Host}/repro/app:1")).Layers);
        var two = Assert.Single((await ManifestAsync($"{Server.Host}/repro/app:2")).Layers);
        Assert.Equal((one.Digest, one.Size), (two.Digest, two.Size));
        Assert.Equal(one.Annotations, two.Annotations);
        Assert.Contains("Exists app/", second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_manifest_is_an_oras_artifact_manifest()
    {
        var folder = SampleTrees.Create(temp.Path, "site");
        var file = temp.Combine("hello.txt");
        await File.WriteAllTextAsync(file, "hello\n");
        var reference = $"{Server.Host}/format/artifact:v1";
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var pack = await CliProcess.RunAsync("pack", "--plain-http", reference, file, folder);

        Assert.Equal(0, pack.ExitCode);
        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository(reference);
        var (descriptor, content) = await repository.FetchAsync("v1");
        var bytes = await ContentExtensions.ReadVerifiedAsync(content, descriptor, default);
        Assert.Equal(pack.Stdout.Trim(), descriptor.Digest);
        Assert.Equal(MediaTypes.ImageManifest, descriptor.MediaType);

        var manifest = OciJson.Deserialize<Manifest>(bytes, "manifest");
        Assert.Equal(2, manifest.SchemaVersion);
        Assert.Equal(MediaTypes.ImageManifest, manifest.MediaType);
        Assert.Equal("application/vnd.unknown.artifact.v1", manifest.ArtifactType);
        Assert.Equal(Descriptor.Empty, manifest.Config);
        Assert.Null(manifest.Subject);
        var created = DateTimeOffset.Parse(Assert.Single(manifest.Annotations!, a => a.Key == Annotations.Created).Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(created, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Matches("\"org.opencontainers.image.created\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\"", System.Text.Encoding.UTF8.GetString(bytes));

        var fileLayer = manifest.Layers[0];
        Assert.Equal("application/vnd.oci.image.layer.v1.tar", fileLayer.MediaType);
        Assert.Equal(new Dictionary<string, string> { [Annotations.Title] = "hello.txt" }, fileLayer.Annotations);
        Assert.Equal(Digest.ComputeSha256("hello\n"u8), fileLayer.Digest);
        Assert.Equal(6, fileLayer.Size);

        var folderLayer = manifest.Layers[1];
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", folderLayer.MediaType);
        Assert.Equal(["io.deis.oras.content.digest", "io.deis.oras.content.unpack", "org.opencontainers.image.title"], folderLayer.Annotations!.Keys);
        Assert.Equal("true", folderLayer.Annotations![Annotations.Unpack]);
        Assert.Equal("site", folderLayer.Title);
        var gzip = await TestBlobs.ReadAsync(repository, folderLayer);
        var tar = TestBlobs.Gunzip(gzip);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)), folderLayer.Annotations![Annotations.UnpackDigest]);
    }

    [Fact]
    public async Task The_folder_tar_is_sorted_prefixed_with_the_folder_name_and_free_of_times_and_owners()
    {
        var folder = SampleTrees.Create(temp.Path, "bundle");
        var reference = $"{Server.Host}/format/tar:v1";

        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", reference, folder)).ExitCode);

        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository(reference);
        var layer = Assert.Single((await ManifestAsync(reference)).Layers);
        var entries = new List<TarEntry>();
        using (var reader = new TarReader(new MemoryStream(TestBlobs.Gunzip(await TestBlobs.ReadAsync(repository, layer)))))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                entries.Add(entry);
            }
        }

        Assert.Equal("bundle/", entries[0].Name);
        Assert.All(entries, e => Assert.True(e.Name.StartsWith("bundle/", StringComparison.Ordinal), e.Name));
        Assert.All(entries, e => Assert.Equal((0, 0, DateTimeOffset.UnixEpoch), (e.Uid, e.Gid, e.ModificationTime)));
        Assert.All(entries.OfType<PosixTarEntry>(), e => Assert.Equal(("", ""), (e.UserName, e.GroupName)));
        Assert.Contains(entries, e => e.Name == "bundle/bin/run" && e.EntryType == TarEntryType.SymbolicLink && e.LinkName == "start.sh");
        Assert.Contains(entries, e => e.Name == "bundle/bin/start.sh" && e.Mode == SampleTrees.Executable);
        Assert.Contains(entries, e => e.Name == "bundle/ünïcødé 文件夹/naïve résumé.txt");
        Assert.Contains(entries, e => e.Name == "bundle/empty-folder/" && e.EntryType == TarEntryType.Directory);

        // Parents come before their children, and siblings in ordinal order.
        var names = entries.Select(e => e.Name.TrimEnd('/')).ToList();
        Assert.All(names.Skip(1), n => Assert.True(names.IndexOf(n[..n.LastIndexOf('/')]) < names.IndexOf(n), n));
        foreach (var siblings in names.GroupBy(n => n.Contains('/', StringComparison.Ordinal) ? n[..n.LastIndexOf('/')] : ""))
        {
            Assert.Equal(siblings.Order(StringComparer.Ordinal), siblings);
        }
    }

    [Fact]
    public async Task Media_types_artifact_type_and_annotations_can_be_chosen()
    {
        var file = temp.Combine("app.properties");
        await File.WriteAllTextAsync(file, "a=b\n");
        var folder = SampleTrees.Create(temp.Path, "conf");
        var reference = $"{Server.Host}/format/custom:v1";

        var pack = await CliProcess.RunAsync("pack", "--plain-http", reference, file + ":text/x-java-properties", folder + ":application/x-conf+gzip",
            "--artifact-type", "application/vnd.example.config.v1", "--annotation", "org.opencontainers.image.source=https://example.test/repo",
            "-a", "org.opencontainers.image.created=2020-01-02T03:04:05Z");

        Assert.Equal(0, pack.ExitCode);
        var manifest = await ManifestAsync(reference);
        Assert.Equal("application/vnd.example.config.v1", manifest.ArtifactType);
        Assert.Equal(["text/x-java-properties", "application/x-conf+gzip"], manifest.Layers.Select(l => l.MediaType));
        Assert.Equal("app.properties", manifest.Layers[0].Title);
        Assert.Equal(
            new Dictionary<string, string>
            {
                [Annotations.Created] = "2020-01-02T03:04:05Z",
                ["org.opencontainers.image.source"] = "https://example.test/repo",
            },
            manifest.Annotations);
    }

    [Fact]
    public async Task Pull_by_digest_replaces_what_the_output_already_holds()
    {
        var folder = SampleTrees.Create(temp.Path);
        var pack = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/replace/app:1", folder);
        var output = temp.Combine("out");
        Directory.CreateDirectory(Path.Combine(output, "app", "stale"));
        await File.WriteAllTextAsync(Path.Combine(output, "app", "stale", "old.txt"), "left over from before");

        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/replace/app@{pack.Stdout.Trim()}", "-o", output);

        Assert.Equal(0, pull.ExitCode);
        Assert.Equal(TreeSnapshot.Of(folder), TreeSnapshot.Of(Path.Combine(output, "app")));
        Assert.Equal(["app"], Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Layers_without_a_title_are_skipped_with_a_note()
    {
        using var client = RegistryClients.PlainHttp();
        var repository = client.GetRepository($"{Server.Host}/untitled/app");
        var named = await repository.PushBytesAsync("text/plain", "named"u8.ToArray(), new Dictionary<string, string> { [Annotations.Title] = "named.txt" });
        var anonymous = await repository.PushBytesAsync("application/octet-stream", "no name"u8.ToArray());
        await TestBlobs.PushArtifactAsync(repository, "v1", named, anonymous);

        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/untitled/app:v1", "-o", temp.Combine("out"));

        Assert.Equal(0, pull.ExitCode);
        Assert.Equal(["out/named.txt"], temp.Files());
        Assert.Contains($"Skipped layer {anonymous.Digest} (application/octet-stream): it has no org.opencontainers.image.title", pull.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirected_output_gets_plain_progress_lines()
    {
        var file = temp.Combine("data.bin");
        await File.WriteAllBytesAsync(file, SampleTrees.Random(2048, seed: 3));

        var pack = await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/progress/app:1", file);
        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/progress/app:1", "-o", temp.Combine("out"));

        Assert.Equal($"Uploading data.bin (2.0 KiB)\nUploaded data.bin\nPushed {Server.Host}/progress/app:1\n", pack.Stderr);
        Assert.Equal($"Downloading data.bin (2.0 KiB)\nDownloaded data.bin\nPulled {Server.Host}/progress/app:1\n", pull.Stderr);
        Assert.DoesNotContain('\u001b', pack.Stderr + pull.Stderr);
    }

    [Fact]
    public async Task A_missing_manifest_is_a_failure_with_the_registry_error()
    {
        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/missing/app:1.0", "-o", temp.Combine("out"));

        Assert.Equal(1, pull.ExitCode);
        Assert.Equal($"Error: fetch manifest {Server.Host}/missing/app:1.0: not found (404 Not Found): MANIFEST_UNKNOWN: manifest unknown\n", pull.Stderr);
        Assert.Empty(temp.Files());
    }

    [Fact]
    public async Task Verbose_failures_add_the_exception_details()
    {
        var pull = await CliProcess.RunAsync("pull", "--plain-http", "--verbose", $"{Server.Host}/missing/app:1.0", "-o", temp.Combine("out"));

        Assert.Equal(1, pull.ExitCode);
        var lines = pull.Stderr.Split('\n');
        Assert.StartsWith("Error: fetch manifest", lines[0], StringComparison.Ordinal);
        Assert.Contains("OrasAssemble.Registry.RegistryNotFoundException", pull.Stderr, StringComparison.Ordinal);
        Assert.Contains("   at ", pull.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_settings_file_makes_the_registry_plain_http()
    {
        var config = temp.Combine("hosts.yaml");
        await File.WriteAllTextAsync(config, $"registries:\n  \"{Server.Host}\":\n    plainHttp: true\n");
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "through the settings file\n");

        var pack = await CliProcess.RunAsync("pack", "--config", config, $"{Server.Host}/hosts/app:1", file);
        var withoutConfig = await CliProcess.RunAsync("pull", $"{Server.Host}/hosts/app:1", "-o", temp.Combine("out"));

        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(1, withoutConfig.ExitCode);
        Assert.Contains("--plain-http", withoutConfig.Stderr, StringComparison.Ordinal);
    }

    private async Task<Manifest> ManifestAsync(string reference)
    {
        using var client = RegistryClients.PlainHttp();
        var (descriptor, content) = await client.GetRepository(reference).FetchAsync(reference[(reference.LastIndexOf(':') + 1)..]);
        return OciJson.Deserialize<Manifest>(await ContentExtensions.ReadVerifiedAsync(content, descriptor, default), "manifest");
    }
}
