using System.Formats.Tar;
using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

[UnsupportedOSPlatform("windows")]
public sealed class LayerApplierTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _target;

    public LayerApplierTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Layers_apply_in_order_with_whiteouts_opaque_directories_and_replacements()
    {
        var lower = new TarBuilder()
            .Directory("./")
            .Directory("./bin/")
            .File("./bin/tool", "tool v1", "755")
            .Symlink("./bin/tool-link", "tool")
            .HardLink("./bin/tool-hard", "./bin/tool")
            .Directory("./etc/")
            .File("./etc/app.conf", "conf v1")
            .File("./etc/old.conf", "old", "600")
            .Directory("./opt/")
            .Directory("./opt/data/")
            .File("./opt/data/a.txt", "a1")
            .File("./opt/data/sub/b.txt", "b1")
            .File("./var/cache", "was a file")
            .Directory("./srv/site/")
            .File("./srv/site/index.html", "<h1>v1</h1>")
            .ToGzip();
        var middle = new TarBuilder()
            .Whiteout("etc/.wh.old.conf")
            .File("etc/app.conf", "conf v2", "640")
            .Whiteout("opt/data/.wh..wh..opq")
            .File("opt/data/c.txt", "c2")
            .Directory("var/cache/")
            .File("var/cache/item", "item")
            .File("srv/site", "moved")
            .Directory("tmp/", "1777")
            .File("tmp/x", "x1")
            .File("tmp/x", "x2")
            .ToTar();
        var upper = new TarBuilder()
            .Directory("new/")
            .File("new/kept.txt", "kept")
            .Whiteout("new/.wh.kept.txt")
            .File("bin/extra", "extra")
            .Whiteout("bin/.wh..wh..opq")
            .ToTar();

        await ApplyAsync(lower, MediaTypes.ImageLayerGzip);
        await ApplyAsync(middle);
        await ApplyAsync(upper);

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["bin"] = "dir 0755",
                ["bin/extra"] = "file 0644 extra",
                ["etc"] = "dir 0755",
                ["etc/app.conf"] = "file 0640 conf v2",
                ["new"] = "dir 0755",
                ["new/kept.txt"] = "file 0644 kept",
                ["opt"] = "dir 0755",
                ["opt/data"] = "dir 0755",
                ["opt/data/c.txt"] = "file 0644 c2",
                ["srv"] = "dir 0755",
                ["srv/site"] = "file 0644 moved",
                ["tmp"] = "dir 1777",
                ["tmp/x"] = "file 0644 x2",
                ["var"] = "dir 0755",
                ["var/cache"] = "dir 0755",
                ["var/cache/item"] = "file 0644 item",
            },
            TreeSnapshot.Take(_target));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Opaque_whiteout_hides_lower_contents_wherever_it_stands_in_the_tar(bool markerLast)
    {
        // The image spec's own example: a/b/c/bar below, a/b recreated with a/b/c/foo above.
        await ApplyAsync(new TarBuilder().Directory("a/").Directory("a/b/").Directory("a/b/c/").File("a/b/c/bar", "bar").File("a/top", "t").ToTar());
        var upper = new TarBuilder().Directory("a/");
        if (!markerLast)
        {
            upper.Whiteout("a/.wh..wh..opq");
        }

        upper.Directory("a/b/").Directory("a/b/c/").File("a/b/c/foo", "foo");
        if (markerLast)
        {
            upper.Whiteout("a/.wh..wh..opq");
        }

        await ApplyAsync(upper.ToTar());

        Assert.Equal(["a", "a/b", "a/b/c", "a/b/c/foo"], TreeSnapshot.Take(_target).Keys);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Opaque_whiteout_at_the_root_hides_lower_contents_and_keeps_what_the_layer_wrote(bool markerLast)
    {
        await ApplyAsync(new TarBuilder().File("old", "old").Directory("d/").File("d/x", "x").File("kept", "lower").ToTar());
        var upper = new TarBuilder();
        if (!markerLast)
        {
            upper.Whiteout(".wh..wh..opq");
        }

        upper.File("kept", "upper").Directory("e/").File("e/y", "y");
        if (markerLast)
        {
            upper.Whiteout("./.wh..wh..opq");
        }

        await ApplyAsync(upper.ToTar());

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["e"] = "dir 0755",
                ["e/y"] = "file 0644 y",
                ["kept"] = "file 0644 upper",
            },
            TreeSnapshot.Take(_target));
    }

    [Fact]
    public async Task Whiteout_of_a_directory_removes_it_without_following_links_inside()
    {
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Join(outside, "keep"), "keep");
        await ApplyAsync(new TarBuilder().Directory("d/").File("d/f", "f").Symlink("d/in", "f").ToTar());

        // A link the layer did not make, pointing out: removing the directory must unlink it, not descend.
        File.CreateSymbolicLink(Path.Join(_target, "d", "out"), outside);
        await ApplyAsync(new TarBuilder().Whiteout(".wh.d").ToTar());

        Assert.Empty(TreeSnapshot.Take(_target));
        Assert.Equal("keep", File.ReadAllText(Path.Join(outside, "keep")));
    }

    [Fact]
    public async Task Hard_links_share_the_file_within_a_layer_and_across_layers()
    {
        await ApplyAsync(new TarBuilder().File("bin/busybox", "bb", "755").HardLink("bin/ls", "bin/busybox").ToTar());
        await ApplyAsync(new TarBuilder().HardLink("usr/bin/env", "/bin/busybox").ToTar());

        File.AppendAllText(Path.Join(_target, "bin", "busybox"), "+");

        Assert.Equal("bb+", File.ReadAllText(Path.Join(_target, "bin", "ls")));
        Assert.Equal("bb+", File.ReadAllText(Path.Join(_target, "usr", "bin", "env")));
    }

    [Fact]
    public async Task Replacing_a_hard_linked_file_leaves_the_other_name_intact()
    {
        await ApplyAsync(new TarBuilder().File("a", "shared").HardLink("b", "a").ToTar());
        await ApplyAsync(new TarBuilder().File("a", "new").ToTar());

        Assert.Equal("new", File.ReadAllText(Path.Join(_target, "a")));
        Assert.Equal("shared", File.ReadAllText(Path.Join(_target, "b")));
    }

    [Fact]
    public async Task An_entry_replaces_a_link_at_its_path_instead_of_following_it()
    {
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Join(outside, "passwd"), "outside");
        File.CreateSymbolicLink(Path.Join(_target, "passwd"), Path.Join(outside, "passwd"));
        File.CreateSymbolicLink(Path.Join(_target, "etc"), outside);

        await ApplyAsync(new TarBuilder().File("passwd", "inside").Directory("etc/").ToTar());

        Assert.Equal("file 0644 inside", TreeSnapshot.Take(_target)["passwd"]);
        Assert.Equal("dir 0755", TreeSnapshot.Take(_target)["etc"]);
        Assert.Equal(["passwd"], Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
        Assert.Equal("outside", File.ReadAllText(Path.Join(outside, "passwd")));
    }

    [Fact]
    public async Task Cancellation_stops_the_apply()
    {
        var blob = new TarBuilder().File("a", "a").ToTar();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), _target, new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Leading_slash_and_dot_slash_are_taken_relative_to_the_target()
    {
        await ApplyAsync(new TarBuilder().File("/etc/passwd", "root:x:0:0::/root:/bin/sh").File("./etc/group", "root:x:0:").File("//etc//./hosts", "h").ToTar());

        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["etc"] = "dir 0755",
                ["etc/group"] = "file 0644 root:x:0:",
                ["etc/hosts"] = "file 0644 h",
                ["etc/passwd"] = "file 0644 root:x:0:0::/root:/bin/sh",
            },
            TreeSnapshot.Take(_target));
    }

    [Fact]
    public async Task Absolute_symlinks_are_rewritten_to_the_same_entry_inside_the_tree()
    {
        await ApplyAsync(new TarBuilder()
            .File("bin/busybox", "bb", "755")
            .Symlink("bin/sh", "/bin/busybox")
            .Symlink("usr/local/bin/sh", "/bin/busybox")
            .Symlink("etc/root", "/")
            .Symlink("top", "/bin")
            .ToTar());

        var tree = TreeSnapshot.Take(_target);
        Assert.Equal("link -> ../bin/busybox", tree["bin/sh"]);
        Assert.Equal("link -> ../../../bin/busybox", tree["usr/local/bin/sh"]);
        Assert.Equal("link -> ..", tree["etc/root"]);
        Assert.Equal("link -> bin", tree["top"]);
        Assert.Equal("bb", File.ReadAllText(Path.Join(_target, "usr", "local", "bin", "sh")));
    }

    [Fact]
    public async Task Relative_symlinks_within_the_tree_are_kept_verbatim()
    {
        await ApplyAsync(new TarBuilder()
            .File("usr/lib/libz.so.1.3", "z")
            .Symlink("usr/lib/libz.so.1", "libz.so.1.3")
            .Symlink("usr/lib/libz.so", "./libz.so.1")
            .Symlink("lib", "usr/lib")
            .Symlink("usr/lib/up", "../..")
            .Symlink("dangling", "nowhere/yet")
            .ToTar());

        var tree = TreeSnapshot.Take(_target);
        Assert.Equal("link -> ./libz.so.1", tree["usr/lib/libz.so"]);
        Assert.Equal("link -> ../..", tree["usr/lib/up"]);
        Assert.Equal("link -> nowhere/yet", tree["dangling"]);
        Assert.Equal("z", File.ReadAllText(Path.Join(_target, "lib", "libz.so")));
    }

    [Fact]
    public async Task Modes_are_kept_and_setuid_and_setgid_are_stripped_by_default()
    {
        var summary = await ApplyAsync(new TarBuilder()
            .File("bin/su", "su", "4755")
            .File("bin/wall", "wall", "2755")
            .File("bin/ro", "ro", "444")
            .Directory("shared/", "2775")
            .ToTar());

        var tree = TreeSnapshot.Take(_target);
        Assert.Equal("file 0755 su", tree["bin/su"]);
        Assert.Equal("file 0755 wall", tree["bin/wall"]);
        Assert.Equal("file 0444 ro", tree["bin/ro"]);
        Assert.Equal("dir 0775", tree["shared"]);
        Assert.Equal(3, summary.SetuidBitsStripped);
    }

    [Fact]
    public async Task Setuid_is_kept_when_allowed()
    {
        await ApplyAsync(new TarBuilder().File("bin/su", "su", "4755").ToTar(), limits: new ExtractionLimits { AllowSetuid = true });

        Assert.Equal("file 4755 su", TreeSnapshot.Take(_target)["bin/su"]);
    }

    [Fact]
    public async Task Times_come_from_the_tar_and_undated_directories_get_the_epoch()
    {
        var fileTime = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var dirTime = new DateTimeOffset(2022, 2, 2, 0, 0, 0, TimeSpan.Zero);
        var linkTime = new DateTimeOffset(2023, 3, 3, 0, 0, 0, TimeSpan.Zero);
        await ApplyAsync(new TarBuilder()
            .Directory("app/", modified: dirTime)
            .File("app/main", "m", modified: fileTime)
            .Symlink("app/current", "main", linkTime)
            .File("implicit/deep/file", "f", modified: fileTime)
            .ToTar());

        var tree = TreeSnapshot.Take(_target, times: true);
        Assert.Equal("dir 0755 @2022-02-02T00:00:00", tree["app"]);
        Assert.Equal("file 0644 m @2021-01-01T00:00:00", tree["app/main"]);
        Assert.Equal("link -> main @2023-03-03T00:00:00", tree["app/current"]);
        Assert.Equal("dir 0755 @1970-01-01T00:00:00", tree["implicit"]);
        Assert.Equal("dir 0755 @1970-01-01T00:00:00", tree["implicit/deep"]);
    }

    [Fact]
    public async Task A_directory_a_later_layer_changes_without_listing_it_keeps_its_time()
    {
        var dirTime = new DateTimeOffset(2022, 2, 2, 0, 0, 0, TimeSpan.Zero);
        await ApplyAsync(new TarBuilder().Directory("etc/", modified: dirTime).File("etc/a", "a").File("etc/b", "b").ToTar());
        await ApplyAsync(new TarBuilder().File("etc/c", "c").Whiteout("etc/.wh.a").ToTar());

        Assert.Equal("dir 0755 @2022-02-02T00:00:00", TreeSnapshot.Take(_target, times: true)["etc"]);
    }

    [Fact]
    public async Task The_same_layers_give_the_same_tree_times_included()
    {
        var layers = new[]
        {
            new TarBuilder().Directory("a/").File("a/x", "x").File("b/c/d", "d").Symlink("a/l", "x").ToGzip(),
            new TarBuilder().Whiteout("a/.wh.x").File("a/y", "y").Whiteout("b/.wh..wh..opq").File("b/e", "e").ToTar(),
        };
        var second = _temp.Combine("second");
        Directory.CreateDirectory(second);

        foreach (var layer in layers)
        {
            await ApplyAsync(layer);
        }

        await Task.Delay(1100);
        foreach (var layer in layers)
        {
            await new LayerApplier().ApplyAsync(Descriptor.Create(layer, MediaTypes.ImageLayer), new MemoryStream(layer), second);
        }

        Assert.Equal(TreeSnapshot.Take(_target, times: true), TreeSnapshot.Take(second, times: true));
    }

    [Theory]
    [InlineData(MediaTypes.ImageLayer)]
    [InlineData(MediaTypes.ImageLayerGzip)]
    [InlineData(MediaTypes.DockerLayerGzip)]
    [InlineData("application/octet-stream")]
    public async Task Gzip_is_recognised_by_its_bytes_whatever_the_media_type(string mediaType)
    {
        var summary = await ApplyAsync(new TarBuilder().File("hello.txt", "hello").ToGzip(), mediaType);

        Assert.Equal("file 0644 hello", TreeSnapshot.Take(_target)["hello.txt"]);
        Assert.Equal(1, summary.Entries);
        Assert.Equal(5, summary.FileBytes);
    }

    [Fact]
    public async Task A_plain_tar_labelled_gzip_is_applied_as_tar()
    {
        await ApplyAsync(new TarBuilder().File("hello.txt", "hello").ToTar(), MediaTypes.ImageLayerGzip);

        Assert.Equal("file 0644 hello", TreeSnapshot.Take(_target)["hello.txt"]);
    }

    [Fact]
    public async Task A_gzip_checksum_mismatch_is_reported_as_an_invalid_layer()
    {
        // The CRC sits in the trailer, after the tar's end: only a reader that reads to the end notices.
        var blob = new TarBuilder().File("hello.txt", "hello").ToGzip();
        blob[^8] ^= 0xff;

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.StartsWith($"layer {Digest(blob)}: the compressed data is corrupt: ", e.Message);
    }

    [Fact]
    public async Task Damaged_gzip_data_is_reported_as_an_invalid_layer()
    {
        var blob = new TarBuilder().File("hello.txt", new string('h', 10_000)).ToGzip();
        blob[blob.Length / 2] ^= 0xff;
        blob[(blob.Length / 2) + 1] ^= 0xff;

        // Depending on what the damaged deflate stream decodes to, the gzip or the tar reader notices first.
        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.StartsWith($"layer {Digest(blob)}: the ", e.Message);
    }

    [Fact]
    public async Task A_tar_cut_short_is_reported_as_an_invalid_layer()
    {
        var tar = new TarBuilder().File("a", new string('a', 5000)).File("b", "b").ToTar();
        var blob = tar[..1200];

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.StartsWith($"layer {Digest(blob)}", e.Message);
    }

    [Fact]
    public async Task The_whole_stream_is_read_so_a_verifying_stream_below_checks_the_digest()
    {
        var blob = new TarBuilder().File("a", "a").ToGzip();
        var tampered = new Descriptor { MediaType = MediaTypes.ImageLayerGzip, Digest = "sha256:" + new string('0', 64), Size = blob.Length };

        await Assert.ThrowsAsync<OrasAssemble.Content.ContentVerificationException>(() =>
            new LayerApplier().ApplyAsync(tampered, new OrasAssemble.Content.VerifyingStream(new MemoryStream(blob), tampered), _target));
    }

    [Fact]
    public async Task Summary_counts_entries_and_bytes()
    {
        var blob = new TarBuilder().Directory("d/").File("d/a", "12345").File("d/b", "678").Whiteout("d/.wh.c").ToTar();

        var summary = await ApplyAsync(blob);

        Assert.Equal(new ExtractionSummary(4, 8, blob.Length, 0), summary);
    }

    [Fact]
    public async Task Pax_global_headers_are_skipped()
    {
        var blob = new TarBuilder()
            .Add(new PaxGlobalExtendedAttributesTarEntry(new Dictionary<string, string> { ["comment"] = "built by a tool" }))
            .File("a", "a")
            .ToTar();

        await ApplyAsync(blob);

        Assert.Equal(["a"], TreeSnapshot.Take(_target).Keys);
    }

    [Fact]
    public async Task A_target_that_is_not_a_directory_is_an_argument_error()
    {
        var blob = new TarBuilder().File("a", "a").ToTar();
        var link = _temp.Combine("link");
        File.CreateSymbolicLink(link, _target);

        await Assert.ThrowsAsync<ArgumentException>(() => new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), _temp.Combine("missing")));
        await Assert.ThrowsAsync<ArgumentException>(() => new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), link));
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LayerApplier(new ExtractionLimits { MaxEntries = 0 }));

        Assert.Equal("MaxEntries", e.ParamName);
    }

    private Task<ExtractionSummary> ApplyAsync(byte[] blob, string mediaType = MediaTypes.ImageLayer, ExtractionLimits? limits = null) =>
        new LayerApplier(limits).ApplyAsync(Descriptor.Create(blob, mediaType), new MemoryStream(blob), _target);

    private static string Digest(byte[] blob) => Oci.Digest.ComputeSha256(blob);
}
