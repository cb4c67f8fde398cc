using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// Layers built to escape or exhaust: each is refused with a message naming the layer, the entry and the reason,
/// and nothing outside the target directory changes, neither a sibling directory nor the host's /etc.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class HostileLayerTests : IDisposable
{
    private static readonly string LongPath = string.Join('/', Enumerable.Repeat(new string('d', 99), 50));
    private static readonly string DeepPath = string.Concat(Enumerable.Repeat("a/", 300)) + "f";

    private readonly TempDirectory _temp = new();
    private readonly string _target;
    private readonly SortedDictionary<string, string> _outsideBefore;
    private readonly string _hostBefore;

    public HostileLayerTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
        Directory.CreateDirectory(_temp.Combine("sentinel"));
        File.WriteAllText(_temp.Combine("sentinel", "secret"), "untouched");
        _outsideBefore = Outside();
        _hostBefore = HostFiles();
    }

    public void Dispose() => _temp.Dispose();

    private static Dictionary<string, HostileCase> Cases { get; } = new()
    {
        ["path traversal"] = new(
            () => new TarBuilder().File("../../etc/passwd", "pwned"),
            "../../etc/passwd", "the path has a \"..\" component"),
        ["traversal into a sibling"] = new(
            () => new TarBuilder().File("../sentinel/secret", "pwned"),
            "../sentinel/secret", "the path has a \"..\" component"),
        ["traversal after a name"] = new(
            () => new TarBuilder().Directory("a/").File("a/../../sentinel/secret", "pwned"),
            "a/../../sentinel/secret", "the path has a \"..\" component"),
        ["symlink to a sibling"] = new(
            () => new TarBuilder().Symlink("link", "../sentinel"),
            "link", "the symbolic link target \"../sentinel\" leads out of the target directory"),
        ["symlink a -> ../.."] = new(
            () => new TarBuilder().Symlink("a", "../.."),
            "a", "the symbolic link target \"../..\" leads out of the target directory"),
        ["deep symlink climbing one level too many"] = new(
            () => new TarBuilder().Symlink("x/y/z", "../../../sentinel"),
            "x/y/z", "the symbolic link target \"../../../sentinel\" leads out of the target directory"),
        ["symlink chain through a link to the parent"] = new(
            () => new TarBuilder().Symlink("d1/up", "..").Symlink("d1/esc", "up/../.."),
            "d1/esc", "the symbolic link target \"up/../..\" has a \"..\" after a name, so where it leads would depend on other links"),
        ["absolute symlink with .."] = new(
            () => new TarBuilder().Symlink("x", "/../etc"),
            "x", "the symbolic link target \"/../etc\" is absolute and has a \"..\" component"),
        ["absolute symlink when rewriting is off"] = new(
            () => new TarBuilder().Symlink("bin/sh", "/bin/busybox"),
            "bin/sh", "the symbolic link target \"/bin/busybox\" is absolute",
            Limits: new ExtractionLimits { RewriteAbsoluteSymlinks = false }),
        ["hard link to /etc/shadow"] = new(
            () => new TarBuilder().HardLink("shadow", "/etc/shadow"),
            "shadow", "the hard link target \"/etc/shadow\" does not exist; a hard link may only point at an entry already extracted"),
        ["hard link to ../x"] = new(
            () => new TarBuilder().HardLink("x", "../x"),
            "x", "the hard link target \"../x\" has a \"..\" component"),
        ["hard link to an entry not yet extracted"] = new(
            () => new TarBuilder().HardLink("a", "b").File("b", "b"),
            "a", "the hard link target \"b\" does not exist; a hard link may only point at an entry already extracted"),
        ["hard link giving an escaping name to a symlink"] = new(
            () => new TarBuilder().Symlink("a/b/up", "../..").HardLink("top", "a/b/up"),
            "top", "the hard link target \"a/b/up\" is a symbolic link to \"../..\", which leads out of the target directory from here"),
        ["hard link to a directory"] = new(
            () => new TarBuilder().Directory("d/").HardLink("h", "d"),
            "h", "the hard link target \"d\" is a directory", typeof(InvalidLayerException)),
        ["a loop of links on the way"] = new(
            () => new TarBuilder().File("a/x", "x"),
            "a/x", "more than 40 symbolic links on its way",
            Lower: () => new TarBuilder().Symlink("a", "b").Symlink("b", "a")),
        ["a link to a file on the way"] = new(
            () => new TarBuilder().File("l/x", "x"),
            "l/x", "its parent \"f\" is not a directory", typeof(InvalidLayerException),
            Lower: () => new TarBuilder().File("f", "f").Symlink("l", "f")),
        ["over-long path"] = new(
            () => new TarBuilder().File(LongPath, "x"),
            LongPath, "the path is 4999 bytes long, over the limit of 4096"),
        ["too deep"] = new(
            () => new TarBuilder().File(DeepPath, "x"),
            DeepPath, "the path is 301 levels deep, over the limit of 256"),
        ["over-long name component"] = new(
            () => new TarBuilder().File(new string('n', 300), "x"),
            new string('n', 300), "the path has a component of 300 bytes, over the file system's limit of 255"),
        ["more entries than allowed"] = new(
            () => Enumerable.Range(0, 11).Aggregate(new TarBuilder(), (b, i) => b.File($"f{i}", "x")),
            "f10", "the layer has more than 10 entries",
            Limits: new ExtractionLimits { MaxEntries = 10 }),
        ["file over the per-file limit"] = new(
            () => new TarBuilder().File("big", new string('b', 2048)),
            "big", "the file is 2048 bytes, over the limit of 1024 bytes per file",
            Limits: new ExtractionLimits { MaxFileBytes = 1024 }),
        ["pax header bomb"] = new(
            () => new TarBuilder().File("first", "1").Add(new PaxTarEntry(
                TarEntryType.RegularFile, "second", new Dictionary<string, string> { ["comment"] = new string('c', 2 * 1024 * 1024) })),
            "first", "the tar headers that follow take more than 1048576 bytes"),
        ["whiteout of the parent directory"] = new(
            () => new TarBuilder().Whiteout("a/.wh.."),
            "a/.wh..", "the whiteout does not name an entry of its directory"),
        ["file in place of the target directory"] = new(
            () => new TarBuilder().File("./", "x"),
            "./", "a regular file cannot take the place of the target directory", typeof(InvalidLayerException)),
        ["file under a file"] = new(
            () => new TarBuilder().File("f", "x").File("f/g", "y"),
            "f/g", "its parent \"f\" is not a directory", typeof(InvalidLayerException)),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Hostile_layer_is_refused_and_nothing_outside_changes(string name)
    {
        var hostile = Cases[name];
        if (hostile.Lower is not null)
        {
            await ApplyAsync(hostile.Lower().ToTar(), hostile.Limits);
        }

        var blob = hostile.Layer().ToTar();
        var e = await Assert.ThrowsAnyAsync<LayerException>(() => ApplyAsync(blob, hostile.Limits));

        Assert.IsType(hostile.Type ?? typeof(UnsafeLayerException), e);
        Assert.Equal(hostile.Entry, e.EntryName);
        Assert.Equal(hostile.Reason, e.Reason);
        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"{Shown(hostile.Entry)}\": {hostile.Reason}", e.Message);
        AssertNothingOutsideChanged();
    }

    [Fact]
    public async Task Absolute_names_land_inside_the_target()
    {
        await ApplyAsync(new TarBuilder().File("/etc/passwd", "inside").Symlink("/etc/shadow", "/etc/passwd").ToTar());

        Assert.Equal("inside", File.ReadAllText(Path.Join(_target, "etc", "passwd")));
        Assert.Equal("../etc/passwd", new FileInfo(Path.Join(_target, "etc", "shadow")).LinkTarget);
        Assert.Equal("inside", File.ReadAllText(Path.Join(_target, "etc", "shadow")));
        AssertNothingOutsideChanged();
    }

    [Fact]
    public async Task A_decompression_bomb_is_stopped_at_its_header()
    {
        var blob = new TarBuilder().File("bomb", new ZeroStream(128L * 1024 * 1024)).ToGzip();
        var source = new CountingStream(new MemoryStream(blob));

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            new LayerApplier(new ExtractionLimits { MaxTotalBytes = 1024 * 1024 })
                .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerGzip), source, _target));

        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"bomb\": the layer expands to more than 1048576 bytes", e.Message);
        Assert.True(blob.Length > 100_000, $"the bomb is {blob.Length} bytes");
        Assert.True(source.BytesRead < 16 * 1024, $"read {source.BytesRead} of {blob.Length} compressed bytes");
        Assert.False(File.Exists(Path.Join(_target, "bomb")));
        AssertNothingOutsideChanged();
    }

    [Fact]
    public async Task A_bomb_of_many_files_each_under_the_file_limit_is_stopped_at_the_total()
    {
        var builder = new TarBuilder();
        for (var i = 0; i < 256; i++)
        {
            builder.File($"f{i:000}", new ZeroStream(256 * 1024));
        }

        var blob = builder.ToGzip();
        var source = new CountingStream(new MemoryStream(blob));

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            new LayerApplier(new ExtractionLimits { MaxTotalBytes = 1024 * 1024 })
                .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerGzip), source, _target));

        Assert.Equal("the layer expands to more than 1048576 bytes", e.Reason);
        Assert.Equal("f003", e.EntryName);
        Assert.Equal(["f000", "f001", "f002"], TreeSnapshot.Take(_target).Keys);
        Assert.True(source.BytesRead < blob.Length / 4, $"read {source.BytesRead} of {blob.Length} compressed bytes");
        AssertNothingOutsideChanged();
    }

    [Fact]
    public async Task Bytes_after_the_end_of_the_tar_count_toward_the_total()
    {
        // A valid little tar, then 128 MiB of zeros in the same gzip: nothing in any header says so.
        var tar = new TarBuilder().File("a", "a").ToTar();
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(tar);
            new ZeroStream(128L * 1024 * 1024).CopyTo(gzip);
        }

        var blob = output.ToArray();
        var source = new CountingStream(new MemoryStream(blob));

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            new LayerApplier(new ExtractionLimits { MaxTotalBytes = 1024 * 1024 })
                .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerGzip), source, _target));

        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"a\": the layer expands to more than 1048576 bytes", e.Message);
        Assert.True(source.BytesRead < blob.Length / 4, $"read {source.BytesRead} of {blob.Length} compressed bytes");
        AssertNothingOutsideChanged();
    }

    private Task<ExtractionSummary> ApplyAsync(byte[] blob, ExtractionLimits? limits = null) =>
        new LayerApplier(limits).ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), _target);

    private static string Shown(string name) => name.Length <= 256 ? name : name[..256] + "...";

    private void AssertNothingOutsideChanged()
    {
        Assert.Equal(_outsideBefore, Outside());
        Assert.Equal(_hostBefore, HostFiles());
    }

    /// <summary>Everything in the sandbox but the target: the sentinel directory and anything that appears beside it.</summary>
    private SortedDictionary<string, string> Outside()
    {
        var all = TreeSnapshot.Take(_temp.Path);
        foreach (var key in all.Keys.Where(k => k == "target" || k.StartsWith("target/", StringComparison.Ordinal)).ToList())
        {
            all.Remove(key);
        }

        return all;
    }

    // The host's files, and where "../../etc/passwd" from the target would land.
    private string HostFiles() => string.Join(
        ",",
        new[] { "/etc/passwd", "/etc/shadow", Path.GetFullPath(Path.Join(_target, "../../etc/passwd")) }.Select(p =>
            File.Exists(p) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p))) : "absent"));

    private sealed record HostileCase(
        Func<TarBuilder> Layer, string Entry, string Reason, Type? Type = null, Func<TarBuilder>? Lower = null, ExtractionLimits? Limits = null);
}
