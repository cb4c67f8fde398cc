using System.Formats.Tar;
using OrasAssemble.Packing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Packing;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DirectoryTarWriterTests
{
    [Fact]
    public async Task Kept_as_left_stores_a_link_out_of_the_folder_as_a_link_and_leaves_a_fifo_out()
    {
        using var temp = new TempDirectory();
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, "results")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "data.txt"), "42\n");
        File.CreateSymbolicLink(Path.Combine(folder, "passwd"), "/etc/passwd");
        MakeFifo(Path.Combine(folder, "pipe"));

        using var tar = new MemoryStream();
        var skipped = await DirectoryTarWriter.WriteAsync(folder, "results", tar, FolderPackOptions.KeepAsLeft, CancellationToken.None);

        Assert.Equal(["results/pipe"], skipped);
        tar.Position = 0;
        var entries = new List<(string Name, TarEntryType Type, string Link)>();
        using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            entries.Add((entry.Name, entry.EntryType, entry.LinkName));
        }

        Assert.Equal(
            [("results/", TarEntryType.Directory, ""), ("results/data.txt", TarEntryType.RegularFile, ""), ("results/passwd", TarEntryType.SymbolicLink, "/etc/passwd")],
            entries);
    }

    [Fact]
    public async Task Strict_refuses_a_link_to_an_absolute_path_and_names_it()
    {
        using var temp = new TempDirectory();
        var folder = Directory.CreateDirectory(Path.Combine(temp.Path, "conf")).FullName;
        File.CreateSymbolicLink(Path.Combine(folder, "passwd"), "/etc/passwd");

        using var tar = new MemoryStream();
        var error = await Assert.ThrowsAsync<PackingException>(() => DirectoryTarWriter.WriteAsync(folder, "conf", tar, FolderPackOptions.Strict, CancellationToken.None));

        Assert.Equal($"{Path.Combine(folder, "passwd")}: symbolic link to the absolute path /etc/passwd cannot be packed; links must stay inside the folder", error.Message);
    }

    private static void MakeFifo(string path)
    {
        using var process = System.Diagnostics.Process.Start("mkfifo", [path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
