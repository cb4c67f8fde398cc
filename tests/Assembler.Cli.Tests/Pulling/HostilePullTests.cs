using System.Formats.Tar;
using System.Text;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Pulling;

/// <summary>Artifacts pushed with the library to attack the puller: nothing may be written outside -o, nothing left half done.</summary>
public sealed class HostilePullTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly RegistryClient client = RegistryClients.PlainHttp();

    private RegistryServer Server => fixture.Server;

    // -o is two levels down, so an escape by one or two '..' would land inside the temp directory where it shows.
    private string Output => temp.Combine("work", "out");

    public void Dispose()
    {
        client.Dispose();
        temp.Dispose();
    }

    [Theory]
    [InlineData("../evil", "has a \"..\" component")]
    [InlineData("../../evil", "has a \"..\" component")]
    [InlineData("sub/../../evil", "has a \"..\" component")]
    [InlineData("/tmp/oras-assemble-evil", "is an absolute path")]
    [InlineData("", "names no file")]
    public async Task A_file_title_leading_out_of_the_output_is_refused(string title, string reason)
    {
        var repository = Repository("title");
        var layer = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "evil bytes"u8.ToArray(), Titled(title));
        var fine = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "fine bytes"u8.ToArray(), Titled("fine.txt"));
        await TestBlobs.PushArtifactAsync(repository, "v1", fine, layer);

        var pull = await PullAsync("title");

        Assert.Equal(1, pull.ExitCode);
        Assert.Equal($"Error: layer {layer.Digest} is refused: the title \"{title}\" {reason}\n", pull.Stderr);
        Assert.Empty(temp.Files());
        Assert.False(File.Exists("/tmp/oras-assemble-evil"));
    }

    [Theory]
    [InlineData("conf/./app.properties", "has a \".\" segment")]
    [InlineData("conf//app.properties", "has an empty segment")]
    public async Task A_title_the_spec_does_not_allow_is_refused_alike_by_pull_and_assemble(string title, string reason)
    {
        var name = reason.Contains("empty", StringComparison.Ordinal) ? "empty-segment" : "dot-segment";
        var repository = Repository(name);
        var layer = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "port=8080"u8.ToArray(), Titled(title));
        await TestBlobs.PushArtifactAsync(repository, "v1", layer);
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: titles }
            sources:
              app: { ref: {{Server.Host}}/hostile/{{name}}:v1 }
            steps:
              - copy: { from: app, path: conf/app.properties, to: /app.properties }
            """);

        var pull = await PullAsync(name);
        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("tree"), "--cache", temp.Combine("cache"));

        Assert.Equal(1, pull.ExitCode);
        Assert.Equal($"Error: layer {layer.Digest} is refused: the title \"{title}\" {reason}\n", pull.Stderr);
        Assert.Equal(1, assemble.ExitCode);
        Assert.EndsWith($"Error: sources.app: layer {layer.Digest}: the title \"{title}\" {reason}\n", assemble.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("tree")));
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Two_layers_with_the_same_title_are_refused()
    {
        var repository = Repository("twice");
        var one = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "one"u8.ToArray(), Titled("same.txt"));
        var two = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "two"u8.ToArray(), Titled("same.txt"));
        await TestBlobs.PushArtifactAsync(repository, "v1", one, two);

        var pull = await PullAsync("twice");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("would be written to the same place", pull.Stderr, StringComparison.Ordinal);
        Assert.Empty(temp.Files());
    }

    [Theory]
    [InlineData("evil/../../escaped.txt", "the path has a \"..\" component")]
    [InlineData("evil/../escaped.txt", "the path has a \"..\" component")]
    [InlineData("/tmp/oras-assemble-escaped.txt", "the entry is outside the directory \"evil\" that the layer's title names")]
    [InlineData("elsewhere/escaped.txt", "the entry is outside the directory \"evil\" that the layer's title names")]
    public async Task A_folder_entry_leading_out_of_the_folder_is_refused(string entryName, string reason)
    {
        await PushFolderAsync("entry", "evil", tar =>
        {
            tar.WriteEntry(DirectoryEntry("evil/"));
            tar.WriteEntry(FileEntry("evil/fine.txt", "fine"));
            tar.WriteEntry(FileEntry(entryName, "escaped"));
        });

        var pull = await PullAsync("entry");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains($"), entry \"{entryName}\": {reason}\n", pull.Stderr, StringComparison.Ordinal);
        AssertNothingWritten();
        Assert.False(File.Exists("/tmp/oras-assemble-escaped.txt"));
    }

    [Fact]
    public async Task A_symbolic_link_out_of_the_folder_is_refused_and_nothing_is_written_through_it()
    {
        await PushFolderAsync("link", "evil", tar =>
        {
            tar.WriteEntry(DirectoryEntry("evil/"));
            tar.WriteEntry(LinkEntry("evil/up", "../../.."));
            tar.WriteEntry(FileEntry("evil/up/escaped.txt", "escaped"));
        });

        var pull = await PullAsync("link");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("), entry \"evil/up\": the symbolic link target \"../../..\" leads out of the directory \"evil\"\n", pull.Stderr, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_link_chain_that_leaves_the_folder_only_on_disk_is_refused()
    {
        // By name "evil/a/../x" is "evil/x"; on disk "evil/a" is the folder itself, so its ".." climbs out of it.
        await PushFolderAsync("chain", "evil", tar =>
        {
            tar.WriteEntry(DirectoryEntry("evil/"));
            tar.WriteEntry(LinkEntry("evil/a", "."));
            tar.WriteEntry(LinkEntry("evil/b", "a/../x"));
        });

        var pull = await PullAsync("chain");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("), entry \"evil/b\": the symbolic link target \"a/../x\" has a \"..\" after a name, so where it leads would depend on other links\n", pull.Stderr, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    [InlineData(TarEntryType.Fifo)]
    public async Task Devices_and_fifos_are_left_out_and_the_rest_is_pulled(TarEntryType type)
    {
        await PushFolderAsync("device", "evil", tar =>
        {
            tar.WriteEntry(DirectoryEntry("evil/"));
            tar.WriteEntry(new UstarTarEntry(type, "evil/node") { Mode = (UnixFileMode)0x1B6 });
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "evil/kept") { DataStream = new MemoryStream("kept"u8.ToArray()) });
        });

        var pull = await PullAsync("device");

        Assert.True(pull.ExitCode == 0, pull.Stderr);
        var pulled = Path.Combine(Output, "evil");
        Assert.Equal(["kept"], Directory.EnumerateFileSystemEntries(pulled).Select(Path.GetFileName));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(pulled, "kept")));
    }

    [Fact]
    public async Task A_folder_whose_tar_does_not_match_its_content_digest_is_refused()
    {
        await PushFolderAsync("digest", "app", tar =>
        {
            tar.WriteEntry(DirectoryEntry("app/"));
            tar.WriteEntry(FileEntry("app/a.txt", "the real content"));
        }, unpackDigest: Digest.ComputeSha256("something else"u8));

        var pull = await PullAsync("digest");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains($"Error: layer \"app\" (sha256:", pull.Stderr, StringComparison.Ordinal);
        Assert.Contains($"): the unpacked tar has digest sha256:", pull.Stderr, StringComparison.Ordinal);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_well_formed_folder_from_another_tool_unpacks()
    {
        await PushFolderAsync("foreign", "app", tar =>
        {
            tar.WriteEntry(DirectoryEntry("app/"));
            tar.WriteEntry(DirectoryEntry("app/sub/"));
            tar.WriteEntry(FileEntry("app/sub/a.txt", "alpha"));
            tar.WriteEntry(LinkEntry("app/link", "sub/a.txt"));
            tar.WriteEntry(new UstarTarEntry(TarEntryType.HardLink, "app/hard") { LinkName = "app/sub/a.txt" });
        });

        var pull = await PullAsync("foreign");

        Assert.Equal(0, pull.ExitCode);
        Assert.Equal("alpha", await File.ReadAllTextAsync(Path.Combine(Output, "app", "link")));
        Assert.Equal("alpha", await File.ReadAllTextAsync(Path.Combine(Output, "app", "hard")));
        Assert.Equal("sub/a.txt", new FileInfo(Path.Combine(Output, "app", "link")).LinkTarget);
    }

    [Fact]
    public async Task A_layer_whose_bytes_are_not_its_digest_leaves_no_file_behind()
    {
        var repository = Repository("tampered");
        var layer = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, SampleTrees.Random(100_000, seed: 1), Titled("file.bin"));
        await TestBlobs.PushArtifactAsync(repository, "v1", layer);
        CorruptBlobInStorage(layer.Digest);

        var pull = await PullAsync("tampered");

        Assert.Equal(1, pull.ExitCode);
        Assert.Matches($"Error: layer \"file.bin\" \\({layer.Digest}\\): digest mismatch: expected {layer.Digest}, got sha256:[0-9a-f]{{64}}\n$", pull.Stderr);
        AssertNothingWritten();
    }

    [Fact]
    public async Task A_title_is_not_written_through_a_symbolic_link_already_in_the_output()
    {
        var repository = Repository("through");
        var layer = await repository.PushBytesAsync(MediaTypes.OrasDefaultFile, "sneaky"u8.ToArray(), Titled("sub/file.txt"));
        await TestBlobs.PushArtifactAsync(repository, "v1", layer);
        Directory.CreateDirectory(Output);
        Directory.CreateDirectory(temp.Combine("elsewhere"));
        File.CreateSymbolicLink(Path.Combine(Output, "sub"), temp.Combine("elsewhere"));

        var pull = await PullAsync("through");

        Assert.Equal(1, pull.ExitCode);
        Assert.Equal($"Error: layer \"sub/file.txt\" is refused: {Path.Combine(Output, "sub")} is a symbolic link, and nothing is written through links\n", pull.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Combine("elsewhere")));
        Assert.Equal(["sub"], Directory.EnumerateFileSystemEntries(Output).Select(Path.GetFileName));
    }

    private Repository Repository(string name) => client.GetRepository($"{Server.Host}/hostile/{name}");

    private Task<CliResult> PullAsync(string name) =>
        CliProcess.RunAsync("pull", "--plain-http", $"{Server.Host}/hostile/{name}:v1", "-o", Output);

    /// <summary>Nothing outside -o, and inside it neither results nor temporary leftovers.</summary>
    private void AssertNothingWritten()
    {
        Assert.Equal(["work"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName));
        Assert.Equal(["out"], Directory.EnumerateFileSystemEntries(temp.Combine("work")).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Output, "*", SearchOption.AllDirectories));
    }

    private async Task PushFolderAsync(string name, string title, Action<TarWriter> write, string? unpackDigest = null)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            write(writer);
        }

        var tarBytes = tar.ToArray();
        var repository = Repository(name);
        var layer = await repository.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(tarBytes), new Dictionary<string, string>
        {
            [Annotations.Title] = title,
            [Annotations.Unpack] = "true",
            [Annotations.UnpackDigest] = unpackDigest ?? Digest.ComputeSha256(tarBytes),
        });
        await TestBlobs.PushArtifactAsync(repository, "v1", layer);
    }

    // The registry trusts its storage, so flipping bytes there is how a bad disk or mirror is simulated.
    private void CorruptBlobInStorage(string digest)
    {
        var hex = Digest.Encoded(digest);
        var path = Path.Combine(Server.StorageDirectory, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(path, bytes);
    }

    private static Dictionary<string, string> Titled(string title) => new() { [Annotations.Title] = title };

    private static UstarTarEntry DirectoryEntry(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED };

    private static UstarTarEntry LinkEntry(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private static UstarTarEntry FileEntry(string name, string content) => new(TarEntryType.RegularFile, name)
    {
        Mode = (UnixFileMode)0x1A4,
        DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
    };
}
