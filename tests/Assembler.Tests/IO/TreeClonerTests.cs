using System.Runtime.Versioning;
using OrasAssemble.IO;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.IO;

[UnsupportedOSPlatform("windows")]
public sealed class TreeClonerTests : IDisposable
{
    private const UnixFileMode ReadOnlyDirectory = (UnixFileMode)0b101_101_101; // 0555
    private const UnixFileMode Executable = (UnixFileMode)0b111_101_101; // 0755

    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        foreach (var directory in Directory.EnumerateDirectories(_dir.Path, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(directory, Executable);
        }

        _dir.Dispose();
    }

    private string Source()
    {
        var root = _dir.Combine("tree");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        Directory.CreateDirectory(Path.Combine(root, "locked"));
        File.WriteAllText(Path.Combine(root, "bin", "tool"), "tool bytes");
        File.SetUnixFileMode(Path.Combine(root, "bin", "tool"), Executable);
        File.WriteAllText(Path.Combine(root, "locked", "inside.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(root, "bin", "sh"), "tool");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "nowhere/at/all");
        File.SetUnixFileMode(Path.Combine(root, "locked"), ReadOnlyDirectory);
        return root;
    }

    [Fact]
    public void The_clone_has_the_same_entries_modes_bytes_and_link_targets()
    {
        var source = Source();

        TreeCloner.Clone(source, _dir.Combine("deep", "out"));

        Assert.Equal(TreeSnapshot.Take(source), TreeSnapshot.Take(_dir.Combine("deep", "out")));
        Assert.Equal(ReadOnlyDirectory, File.GetUnixFileMode(_dir.Combine("deep", "out", "locked")));
        Assert.Equal("nowhere/at/all", new FileInfo(_dir.Combine("deep", "out", "dangling")).LinkTarget);
        Assert.Equal(["out"], Directory.EnumerateFileSystemEntries(_dir.Combine("deep")).Select(Path.GetFileName));
    }

    [Fact]
    public void The_clone_keeps_owners_and_times_of_directories_and_links()
    {
        var source = Source();
        var time = new DateTime(2021, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        foreach (var path in new[] { "bin", "bin/sh", "locked" })
        {
            OrasAssemble.Layers.NativeMethods.SetOwner(Path.Combine(source, path), 1000, 1001);
            File.SetLastWriteTimeUtc(Path.Combine(source, path), time);
        }

        TreeCloner.Clone(source, _dir.Combine("out"));

        var seconds = new DateTimeOffset(time).ToUnixTimeSeconds();
        var clone = OwnerSnapshot.Take(_dir.Combine("out"));
        Assert.Equal($"d 1000:1001 755 {seconds}", clone["bin"]);
        Assert.Equal($"l 1000:1001 777 {seconds}", clone["bin/sh"]);
        Assert.Equal($"d 1000:1001 555 {seconds}", clone["locked"]);
        Assert.Equal(OwnerSnapshot.Take(source), clone);
    }

    [Fact]
    public void Files_are_hard_links_so_a_change_to_one_shows_in_the_other()
    {
        var source = Source();

        TreeCloner.Clone(source, _dir.Combine("out"));
        File.AppendAllText(_dir.Combine("out", "bin", "tool"), " and more");

        Assert.Equal("tool bytes and more", File.ReadAllText(Path.Combine(source, "bin", "tool")));
    }

    [Fact]
    public void Links_are_hard_links_of_the_trees_links_so_they_keep_its_owner_and_time()
    {
        var source = Source();
        OrasAssemble.Layers.NativeMethods.SetOwner(Path.Combine(source, "bin", "sh"), 1000, 1001);

        TreeCloner.Clone(source, _dir.Combine("out"));

        Assert.Equal(Inode(Path.Combine(source, "bin", "sh")), Inode(_dir.Combine("out", "bin", "sh")));
        Assert.Equal(Inode(Path.Combine(source, "dangling")), Inode(_dir.Combine("out", "dangling")));
        Assert.Equal("tool", new FileInfo(_dir.Combine("out", "bin", "sh")).LinkTarget);
        Assert.StartsWith("l 1000:1001 777 ", OwnerSnapshot.Take(_dir.Combine("out"))["bin/sh"], StringComparison.Ordinal);
    }

    /// <summary>The inode of the entry itself (stat(1) does not follow a link unless told to).</summary>
    private static string Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }

    [Fact]
    public void An_empty_directory_is_filled_and_anything_else_is_refused()
    {
        var source = Source();
        Directory.CreateDirectory(_dir.Combine("empty-out"));
        Directory.CreateDirectory(_dir.Combine("busy"));
        File.WriteAllText(_dir.Combine("busy", "x"), "x");
        File.WriteAllText(_dir.Combine("file"), "x");

        TreeCloner.Clone(source, _dir.Combine("empty-out"));
        var busy = Assert.Throws<IOException>(() => TreeCloner.Clone(source, _dir.Combine("busy")));
        var file = Assert.Throws<IOException>(() => TreeCloner.Clone(source, _dir.Combine("file")));

        Assert.Equal(TreeSnapshot.Take(source), TreeSnapshot.Take(_dir.Combine("empty-out")));
        Assert.Equal($"{_dir.Combine("busy")} is not empty; name a directory that does not exist yet, or an empty one", busy.Message);
        Assert.EndsWith("is a file; name a directory that does not exist yet, or an empty one", file.Message, StringComparison.Ordinal);
        Assert.Equal(["x"], Directory.EnumerateFileSystemEntries(_dir.Combine("busy")).Select(Path.GetFileName));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir.Path), e => Path.GetFileName(e).StartsWith('.'));
    }
}
