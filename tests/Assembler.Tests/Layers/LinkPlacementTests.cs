using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// Image layer entries whose parents go through links that lower layers made land where the links lead, as containerd,
/// podman and umoci place them (usr-merged images: <c>bin/x</c> over <c>bin -> usr/bin</c> is <c>usr/bin/x</c>), and
/// nothing is ever placed outside the tree that way.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class LinkPlacementTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _target;

    public LinkPlacementTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
        Directory.CreateDirectory(_temp.Combine("sentinel"));
        File.WriteAllText(_temp.Combine("sentinel", "secret"), "untouched");
    }

    public void Dispose() => _temp.Dispose();

    private static TarBuilder UsrMerged() => new TarBuilder()
        .Directory("usr").Directory("usr/bin").Directory("usr/lib")
        .File("usr/bin/busybox", "ELF", "755")
        .Symlink("bin", "usr/bin")
        .Symlink("lib", "/usr/lib");

    [Fact]
    public async Task An_entry_under_a_usr_merge_link_lands_in_usr()
    {
        await ApplyAsync(UsrMerged());

        await ApplyAsync(new TarBuilder()
            .File("bin/x", "x", "755")
            .Symlink("bin/sh", "busybox")
            .File("lib/libc.so", "libc")
            .HardLink("bin/x-again", "bin/x"));

        var snapshot = TreeSnapshot.Take(_target);
        Assert.Equal("link -> usr/bin", snapshot["bin"]);
        Assert.Equal("link -> usr/lib", snapshot["lib"]);
        Assert.Equal("file 0755 x", snapshot["usr/bin/x"]);
        Assert.Equal("link -> busybox", snapshot["usr/bin/sh"]);
        Assert.Equal("file 0644 libc", snapshot["usr/lib/libc.so"]);
        Assert.Equal(new FileInfo(Path.Combine(_target, "usr/bin/x")).Length, new FileInfo(Path.Combine(_target, "usr/bin/x-again")).Length);
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
    }

    [Fact]
    public async Task A_directory_entry_over_a_link_replaces_the_link_as_runtimes_do()
    {
        await ApplyAsync(UsrMerged());

        await ApplyAsync(new TarBuilder().Directory("bin").File("bin/own", "own"));

        // The entry "bin" itself is a directory: it takes the place of the link; only parents are followed.
        Assert.Equal("dir 0755", TreeSnapshot.Take(_target)["bin"]);
        Assert.True(File.Exists(Path.Combine(_target, "bin", "own")));
        Assert.True(File.Exists(Path.Combine(_target, "usr", "bin", "busybox")));
    }

    [Fact]
    public async Task Whiteouts_apply_where_the_link_leads()
    {
        await ApplyAsync(UsrMerged().File("usr/bin/old", "old").File("usr/lib/stale", "stale"));

        await ApplyAsync(new TarBuilder().Whiteout("bin/.wh.old").Whiteout("lib/.wh..wh..opq"));

        var snapshot = TreeSnapshot.Take(_target);
        Assert.False(snapshot.ContainsKey("usr/bin/old"));
        Assert.True(snapshot.ContainsKey("usr/bin/busybox"));
        Assert.False(snapshot.ContainsKey("usr/lib/stale"));
    }

    [Fact]
    public async Task A_link_placed_through_a_link_is_judged_from_where_it_lands()
    {
        await ApplyAsync(UsrMerged());

        // From usr/bin, "../../.." climbs out of the tree even though from bin/ it would look one level shorter.
        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() => ApplyAsync(new TarBuilder().Symlink("bin/up", "../../../sentinel")));

        Assert.Equal("the symbolic link target \"../../../sentinel\" leads out of the target directory", e.Reason);
        Assert.False(File.Exists(Path.Combine(_target, "usr", "bin", "up")));
    }

    [Fact]
    public async Task A_link_that_leads_out_of_the_tree_is_never_followed()
    {
        // No layer can make such a link; one put there by anything else must still not be written through.
        File.CreateSymbolicLink(Path.Combine(_target, "conf"), "../sentinel");
        File.CreateSymbolicLink(Path.Combine(_target, "etc"), _temp.Combine("sentinel"));

        var up = await Assert.ThrowsAsync<UnsafeLayerException>(() => ApplyAsync(new TarBuilder().File("conf/secret", "pwned")));
        var absolute = await Assert.ThrowsAsync<UnsafeLayerException>(() => ApplyAsync(new TarBuilder().File("etc/secret", "pwned")));
        var whiteout = await Assert.ThrowsAsync<UnsafeLayerException>(() => ApplyAsync(new TarBuilder().Whiteout("conf/.wh.secret")));

        Assert.Equal("a symbolic link on its way leads out of the target directory", up.Reason);
        Assert.Equal("the symbolic link \"etc\" on its way is absolute", absolute.Reason);
        Assert.Equal("conf/.wh.secret", whiteout.EntryName);
        Assert.Equal("untouched", File.ReadAllText(_temp.Combine("sentinel", "secret")));
        Assert.Single(Directory.EnumerateFileSystemEntries(_temp.Combine("sentinel")));
    }

    [Fact]
    public async Task A_directory_the_layer_replaced_with_a_link_is_a_link_for_the_entries_after_it()
    {
        // The writer remembers which paths are directories; a directory it removed must not be one any more.
        await ApplyAsync(new TarBuilder()
            .Directory("d").File("d/x", "x").Directory("d/sub")
            .Directory("e")
            .Symlink("d", "e")
            .File("d/y", "y")
            .File("d/sub/z", "z"));

        var snapshot = TreeSnapshot.Take(_target);
        Assert.Equal("link -> e", snapshot["d"]);
        Assert.Equal("file 0644 y", snapshot["e/y"]);
        Assert.Equal("file 0644 z", snapshot["e/sub/z"]);
        Assert.False(snapshot.ContainsKey("e/x"));
    }

    [Fact]
    public async Task A_directory_a_whiteout_removed_is_gone_for_the_next_layer_s_entries_under_a_link_of_that_name()
    {
        await ApplyAsync(new TarBuilder().Directory("usr").Directory("usr/bin").Directory("bin").File("bin/old", "old"));

        await ApplyAsync(new TarBuilder().Whiteout(".wh.bin").Symlink("bin", "usr/bin").File("bin/new", "new"));

        var snapshot = TreeSnapshot.Take(_target);
        Assert.Equal("link -> usr/bin", snapshot["bin"]);
        Assert.Equal("file 0644 new", snapshot["usr/bin/new"]);
        Assert.False(snapshot.ContainsKey("usr/bin/old"));
    }

    private Task<ExtractionSummary> ApplyAsync(TarBuilder layer)
    {
        var blob = layer.ToTar();
        return new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), _target);
    }
}
