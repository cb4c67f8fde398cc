using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>What extraction sees at a path before it writes there: a link as a link, whatever it points to.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class DiskEntryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Each_kind_of_entry_is_probed_as_itself_and_a_link_never_as_its_target()
    {
        Directory.CreateDirectory(_dir.Combine("dir"));
        File.WriteAllText(_dir.Combine("file"), "x");
        File.CreateSymbolicLink(_dir.Combine("to-dir"), "dir");
        File.CreateSymbolicLink(_dir.Combine("to-file"), "file");
        File.CreateSymbolicLink(_dir.Combine("dangling"), "nowhere");
        File.CreateSymbolicLink(_dir.Combine("loop"), "loop");

        Assert.Equal(EntryKind.Directory, DiskEntry.Probe(_dir.Combine("dir")));
        Assert.Equal(EntryKind.File, DiskEntry.Probe(_dir.Combine("file")));
        Assert.Equal(EntryKind.Symlink, DiskEntry.Probe(_dir.Combine("to-dir")));
        Assert.Equal(EntryKind.Symlink, DiskEntry.Probe(_dir.Combine("to-file")));
        Assert.Equal(EntryKind.Symlink, DiskEntry.Probe(_dir.Combine("dangling")));
        Assert.Equal(EntryKind.Symlink, DiskEntry.Probe(_dir.Combine("loop")));
    }

    [Fact]
    public void A_path_that_is_not_there_is_missing_also_under_a_file_or_a_dangling_link()
    {
        File.WriteAllText(_dir.Combine("file"), "x");
        File.CreateSymbolicLink(_dir.Combine("dangling"), "nowhere");

        Assert.Equal(EntryKind.Missing, DiskEntry.Probe(_dir.Combine("absent")));
        Assert.Equal(EntryKind.Missing, DiskEntry.Probe(_dir.Combine("absent", "child")));
        Assert.Equal(EntryKind.Missing, DiskEntry.Probe(_dir.Combine("file", "child")));
        Assert.Equal(EntryKind.Missing, DiskEntry.Probe(_dir.Combine("dangling", "child")));
    }

    [Fact]
    public void A_path_that_cannot_be_looked_up_is_an_error_naming_it_not_a_missing_entry()
    {
        File.CreateSymbolicLink(_dir.Combine("loop"), "loop");
        var path = _dir.Combine("loop", "child");

        var error = Assert.Throws<IOException>(() => DiskEntry.Probe(path));

        Assert.StartsWith($"lstat {path}: ", error.Message, StringComparison.Ordinal);
    }
}
