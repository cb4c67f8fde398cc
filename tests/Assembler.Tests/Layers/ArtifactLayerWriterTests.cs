using System.Runtime.Versioning;
using System.Text;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

[UnsupportedOSPlatform("windows")]
public sealed class ArtifactLayerWriterTests : IDisposable
{
    private const string SiteMediaType = "application/vnd.oci.image.layer.v1.tar+gzip";

    private readonly TempDirectory _temp = new();
    private readonly string _target;

    public ArtifactLayerWriterTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
        Directory.CreateDirectory(_temp.Combine("sentinel"));
        File.WriteAllText(_temp.Combine("sentinel", "secret"), "untouched");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_file_layer_is_written_under_its_title()
    {
        var summary = await WriteFileAsync("HelloWorldServer.jar", "PK jar bytes");

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["HelloWorldServer.jar"] = "file 0644 PK jar bytes @1970-01-01T00:00:00" },
            TreeSnapshot.Take(_target, times: true));
        Assert.Equal(new ExtractionSummary(1, 12, 12, 0), summary);
    }

    [Fact]
    public async Task A_nested_title_creates_its_directories()
    {
        await WriteFileAsync("conf/prod/app.properties", "port=8080");

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["conf"] = "dir 0755",
                ["conf/prod"] = "dir 0755",
                ["conf/prod/app.properties"] = "file 0644 port=8080",
            },
            TreeSnapshot.Take(_target));
    }

    [Fact]
    public async Task A_link_already_at_the_title_is_replaced_not_followed()
    {
        File.CreateSymbolicLink(Path.Join(_target, "app.jar"), "../sentinel/secret");

        await WriteFileAsync("app.jar", "jar");

        Assert.Equal("file 0644 jar", TreeSnapshot.Take(_target)["app.jar"]);
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
    }

    [Fact]
    public async Task A_title_under_a_link_is_refused()
    {
        File.CreateSymbolicLink(Path.Join(_target, "conf"), "../sentinel");

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() => WriteFileAsync("conf/secret", "pwned"));

        Assert.Equal("conf/secret", e.EntryName);
        Assert.Equal("its parent \"conf\" is a symbolic link, and entries are never written through links", e.Reason);
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
    }

    [Theory]
    [InlineData("", "the title \"\" names no file")]
    [InlineData(".", "the title \".\" names no file")]
    [InlineData("/etc/passwd", "the title \"/etc/passwd\" is an absolute path")]
    [InlineData("../sentinel/secret", "the title \"../sentinel/secret\" has a \"..\" component")]
    [InlineData("a/../../x", "the title \"a/../../x\" has a \"..\" component")]
    [InlineData("a\0b", "the title \"a\\u0000b\" contains a NUL character")]
    [InlineData("a/./b", "the title \"a/./b\" has a \".\" segment")]
    [InlineData("./a", "the title \"./a\" has a \".\" segment")]
    [InlineData("a//b", "the title \"a//b\" has an empty segment")]
    [InlineData("a/", "the title \"a/\" has an empty segment")]
    public async Task Bad_titles_are_refused(string title, string reason)
    {
        var content = Encoding.UTF8.GetBytes("pwned");
        var layer = FileDescriptor(content, title);

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() => new ArtifactLayerWriter().WriteAsync(layer, new MemoryStream(content), _target));

        Assert.Equal($"layer {layer.Digest}: {reason}", e.Message);
        Assert.Empty(TreeSnapshot.Take(_target));
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
    }

    [Fact]
    public async Task A_layer_without_a_title_is_invalid()
    {
        var content = Encoding.UTF8.GetBytes("x");
        var layer = Descriptor.Create(content, MediaTypes.OrasDefaultFile);

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => new ArtifactLayerWriter().WriteAsync(layer, new MemoryStream(content), _target));

        Assert.Equal($"layer {layer.Digest}: the layer has no org.opencontainers.image.title annotation, so it names no file", e.Message);
    }

    [Fact]
    public async Task A_file_over_the_limit_is_refused_before_reading()
    {
        var content = new byte[2048];
        var layer = FileDescriptor(content, "big.bin");
        var source = new CountingStream(new MemoryStream(content));

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            new ArtifactLayerWriter(new ExtractionLimits { MaxFileBytes = 1024 }).WriteAsync(layer, source, _target));

        Assert.Equal($"layer {layer.Digest}, entry \"big.bin\": the file is 2048 bytes, over the limit of 1024 bytes per file", e.Message);
        Assert.Equal(0, source.BytesRead);
    }

    [Fact]
    public async Task Content_longer_than_its_descriptor_is_stopped_at_the_file_limit()
    {
        // A stream that does not verify, and a descriptor that understates it: the limit still holds.
        var layer = FileDescriptor(new byte[10], "small.bin");
        var source = new ZeroStream(64L * 1024 * 1024);

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            new ArtifactLayerWriter(new ExtractionLimits { MaxFileBytes = 1024 * 1024 }).WriteAsync(layer, source, _target));

        Assert.Equal("the file is over the limit of 1048576 bytes per file", e.Reason);
        Assert.True(source.Position <= 2 * 1024 * 1024, $"read {source.Position} bytes");
    }

    [Fact]
    public async Task Content_of_another_size_than_its_descriptor_is_invalid()
    {
        var layer = FileDescriptor(new byte[5], "five.bin");

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() =>
            new ArtifactLayerWriter().WriteAsync(layer, new MemoryStream(new byte[10]), _target));

        Assert.Equal($"layer {layer.Digest}, entry \"five.bin\": the content is 10 bytes, but the descriptor says 5", e.Message);
    }

    [Fact]
    public async Task A_directory_layer_is_unpacked_under_its_title_with_whiteout_names_kept()
    {
        var tar = new TarBuilder()
            .Directory("site/")
            .File("site/index.html", "<h1>hi</h1>")
            .File("site/css/a.css", "body{}")
            .File("site/.wh.notes", "a plain file here")
            .Symlink("site/home.html", "index.html")
            .HardLink("site/copy.html", "site/index.html")
            .ToTar();

        var summary = await WriteDirectoryAsync(TarBuilder.Gzip(tar), "site", Digest.ComputeSha256(tar));

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["site"] = "dir 0755",
                ["site/.wh.notes"] = "file 0644 a plain file here",
                ["site/copy.html"] = "file 0644 <h1>hi</h1>",
                ["site/css"] = "dir 0755",
                ["site/css/a.css"] = "file 0644 body{}",
                ["site/home.html"] = "link -> index.html",
                ["site/index.html"] = "file 0644 <h1>hi</h1>",
            },
            TreeSnapshot.Take(_target));
        Assert.Equal(6, summary.Entries);
    }

    [Fact]
    public async Task A_directory_layer_whose_tar_differs_from_its_digest_annotation_is_invalid()
    {
        var tar = new TarBuilder().File("site/index.html", "<h1>hi</h1>").ToTar();
        var wrong = "sha256:" + new string('a', 64);
        var blob = TarBuilder.Gzip(tar);

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => WriteDirectoryAsync(blob, "site", wrong));

        Assert.Equal(
            $"layer {Digest.ComputeSha256(blob)}: the unpacked tar has digest {Digest.ComputeSha256(tar)}, but the io.deis.oras.content.digest annotation says {wrong}",
            e.Message);
    }

    [Theory]
    [InlineData("file", "other/x", "", "the entry is outside the directory \"site\" that the layer's title names")]
    [InlineData("file", "site", "", "a regular file cannot take the place of the directory \"site\"")]
    [InlineData("symlink", "site/up", "..", "the symbolic link target \"..\" leads out of the directory \"site\"")]
    [InlineData("symlink", "site/etc", "/etc", "the symbolic link target \"/etc\" is absolute")]
    [InlineData("hardlink", "site/h", "shared", "the hard link target \"shared\" is outside the directory \"site\"")]
    public async Task Directory_layer_entries_must_stay_inside_the_titled_directory(string kind, string name, string link, string reason)
    {
        File.WriteAllText(Path.Join(_target, "shared"), "shared");
        var builder = new TarBuilder().Directory("site/");
        if (kind == "file")
        {
            builder.File(name, "x");
        }
        else if (kind == "symlink")
        {
            builder.Symlink(name, link);
        }
        else
        {
            builder.HardLink(name, link);
        }

        var blob = builder.ToGzip();

        var e = await Assert.ThrowsAnyAsync<LayerException>(() => WriteDirectoryAsync(blob, "site"));

        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"{name}\": {reason}", e.Message);
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
    }

    [Fact]
    public void Only_the_unpack_annotation_makes_a_directory_layer()
    {
        var plain = FileDescriptor([1], "a.tar.gz");
        var packed = plain with { Annotations = new Dictionary<string, string> { [Annotations.Title] = "a", [Annotations.Unpack] = "true" } };

        Assert.False(ArtifactLayerWriter.IsPackedDirectory(plain));
        Assert.True(ArtifactLayerWriter.IsPackedDirectory(packed));
    }

    private Task<ExtractionSummary> WriteFileAsync(string title, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return new ArtifactLayerWriter().WriteAsync(FileDescriptor(bytes, title), new MemoryStream(bytes), _target);
    }

    private Task<ExtractionSummary> WriteDirectoryAsync(byte[] blob, string title, string? tarDigest = null)
    {
        var annotations = new Dictionary<string, string> { [Annotations.Title] = title, [Annotations.Unpack] = "true" };
        if (tarDigest is not null)
        {
            annotations[Annotations.UnpackDigest] = tarDigest;
        }

        var layer = Descriptor.Create(blob, SiteMediaType) with { Annotations = annotations };
        return new ArtifactLayerWriter().WriteAsync(layer, new MemoryStream(blob), _target);
    }

    private static Descriptor FileDescriptor(byte[] content, string title) =>
        Descriptor.Create(content, "text/plain") with { Annotations = new Dictionary<string, string> { [Annotations.Title] = title } };
}
