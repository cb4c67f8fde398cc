using OrasAssemble.Tests.Containers;
using System.Runtime.Versioning;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>The comparer finds each kind of difference, and each exception excuses exactly its own kind.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeComparisonTests : IDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(1);

    private readonly TempDirectory _dir = new();

    /// <summary>A small image-like reference tree: a hard-linked pair, a setuid file, a relative and an absolute link.</summary>
    private async Task CreateReferenceAsync()
    {
        var root = Reference;
        Directory.CreateDirectory(Path.Join(root, "usr/bin"));
        Directory.CreateDirectory(Path.Join(root, "etc"));
        File.WriteAllText(Path.Join(root, "usr/bin/perl"), "perl");
        File.SetUnixFileMode(Path.Join(root, "usr/bin/perl"), (UnixFileMode)Convert.ToInt32("0755", 8));
        await ToolAsync("ln", Path.Join(root, "usr/bin/perl"), Path.Join(root, "usr/bin/perl5"));
        File.WriteAllText(Path.Join(root, "usr/bin/passwd"), "passwd");
        File.SetUnixFileMode(Path.Join(root, "usr/bin/passwd"), (UnixFileMode)Convert.ToInt32("4755", 8));
        File.WriteAllText(Path.Join(root, "etc/motd"), "hello");
        File.CreateSymbolicLink(Path.Join(root, "bin"), "usr/bin");
        File.CreateSymbolicLink(Path.Join(root, "etc/java"), "/usr/bin/perl");
    }

    private string Reference => _dir.Combine("reference");

    private string Tree => _dir.Combine("tree");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_faithful_copy_has_no_differences_even_without_exceptions()
    {
        await CopyReferenceAsync();

        Assert.Empty(TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None));
    }

    [Fact]
    public async Task Content_mode_type_presence_and_link_targets_are_compared()
    {
        await CopyReferenceAsync();
        File.WriteAllText(Path.Join(Tree, "etc/motd"), "HELLO");
        File.SetUnixFileMode(Path.Join(Tree, "usr/bin/perl"), (UnixFileMode)Convert.ToInt32("0700", 8));
        File.Delete(Path.Join(Tree, "bin"));
        Directory.CreateDirectory(Path.Join(Tree, "bin"));
        File.Delete(Path.Join(Tree, "etc/java"));
        File.CreateSymbolicLink(Path.Join(Tree, "etc/java"), "../usr/bin/perl5");
        File.WriteAllText(Path.Join(Tree, "etc/extra"), "x");
        File.Delete(Path.Join(Tree, "usr/bin/passwd"));

        var differences = TreeComparison.Compare(Reference, Tree, Everything());

        Assert.Equal(
            [
                "bin: type: reference link -> \"usr/bin\", tree directory 0755",
                "etc/extra: not in the reference (tree: file 0644 1 bytes)",
                "etc/java: link target: reference \"/usr/bin/perl\" (so \"../usr/bin/perl\"), tree \"../usr/bin/perl5\"",
                "etc/motd: content: reference sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824, tree sha256:3733cd977ff8eb18b987357e22ced99f46097f31ecb239e878ae63760e83e4d5",
                "usr/bin/passwd: missing from the tree (reference: file 4755 6 bytes)",
                "usr/bin/perl: mode: reference 0755, tree 0700",
                "usr/bin/perl5: mode: reference 0755, tree 0700",
            ],
            differences.Select(d => d.ToString()));
    }

    [Fact]
    public async Task A_broken_hard_link_group_is_a_difference_on_each_of_its_paths()
    {
        await CopyReferenceAsync();
        File.Delete(Path.Join(Tree, "usr/bin/perl5"));
        File.Copy(Path.Join(Tree, "usr/bin/perl"), Path.Join(Tree, "usr/bin/perl5"));
        await RestoreTimesAsync("usr/bin/perl5", "usr/bin");

        var differences = TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None);

        Assert.Equal(
            [
                "usr/bin/perl: hard links: in the reference one inode with [usr/bin/perl5], in the tree with []",
                "usr/bin/perl5: hard links: in the reference one inode with [usr/bin/perl], in the tree with []",
            ],
            differences.Select(d => d.ToString()));
    }

    [Fact]
    public async Task Setuid_cleared_excuses_only_the_missing_setuid_bit()
    {
        await CopyReferenceAsync();
        File.SetUnixFileMode(Path.Join(Tree, "usr/bin/passwd"), (UnixFileMode)Convert.ToInt32("0755", 8));

        Assert.Equal(
            ["usr/bin/passwd: mode: reference 4755, tree 0755"],
            TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None).Select(d => d.ToString()));
        Assert.Empty(TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { SetuidCleared = true }));

        File.SetUnixFileMode(Path.Join(Tree, "usr/bin/passwd"), (UnixFileMode)Convert.ToInt32("4755", 8));
        Assert.Equal(
            ["usr/bin/passwd: mode: reference 4755 (so 0755 without setuid/setgid), tree 4755"],
            TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { SetuidCleared = true }).Select(d => d.ToString()));
    }

    [Fact]
    public async Task Absolute_links_rewritten_expects_the_relative_target_of_the_same_entry()
    {
        await CopyReferenceAsync();
        await ReplaceLinkAsync("etc/java", "../usr/bin/perl");

        Assert.Equal(
            ["etc/java: link target: reference \"/usr/bin/perl\", tree \"../usr/bin/perl\""],
            TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None).Select(d => d.ToString()));
        Assert.Empty(TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { AbsoluteLinksRewritten = true }));
    }

    [Theory]
    [InlineData("usr/bin/x", "/", "../..")]
    [InlineData("x", "/", ".")]
    [InlineData("x", "/usr/bin/", "usr/bin")]
    [InlineData("dev/fd", "/proc/self/fd", "../proc/self/fd")]
    [InlineData("etc/alternatives/java", "/usr/lib/./jvm//bin/java", "../../usr/lib/jvm/bin/java")]
    public void The_rewritten_target_climbs_to_the_root_and_descends(string link, string target, string expected)
    {
        Assert.Equal(expected, TreeComparison.RelativeTarget(link, target));
    }

    [Fact]
    public async Task Special_files_skipped_expects_devices_and_FIFOs_absent_and_nothing_else()
    {
        await CreateReferenceAsync();
        await ToolAsync("mknod", Path.Join(Reference, "console"), "c", "5", "1");
        await ToolAsync("mkfifo", Path.Join(Reference, "etc/initctl"));
        await CopyReferenceAsync();
        await ToolAsync("rm", Path.Join(Tree, "console"), Path.Join(Tree, "etc/initctl"));
        await RestoreTimesAsync("etc");

        Assert.Equal(
            ["console: missing from the tree (reference: character device 5:1)", "etc/initctl: missing from the tree (reference: FIFO)"],
            TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None).Select(d => d.ToString()));
        Assert.Empty(TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { SpecialFilesSkipped = true }));

        await ToolAsync("mknod", Path.Join(Tree, "console"), "c", "5", "2");
        Assert.Equal(
            ["console: device: reference 5:1, tree 5:2", "etc/initctl: missing from the tree (reference: FIFO)"],
            TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None).Select(d => d.ToString()).Where(d => !d.Contains("mtime", StringComparison.Ordinal)));
        Assert.Equal(
            ["console: should have been skipped (reference: character device 5:1, tree: character device 5:2)"],
            TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { SpecialFilesSkipped = true }).Select(d => d.ToString()));
    }

    [Fact]
    public async Task Owners_and_mtimes_are_compared_unless_excused()
    {
        await CopyReferenceAsync();
        await ToolAsync("chown", "-h", "1000:1001", Path.Join(Tree, "etc/motd"), Path.Join(Tree, "bin"));
        await ToolAsync("touch", "-h", "-d", "2001-02-03T04:05:06.5Z", Path.Join(Tree, "etc/java"));
        var java = EntryStatus.Read(Path.Join(Reference, "etc/java"));

        Assert.Equal(
            [
                "bin: owner: reference 0:0, tree 1000:1001",
                $"etc/java: mtime: reference {DateTimeOffset.FromUnixTimeSeconds(java.MtimeSeconds):yyyy-MM-ddTHH:mm:ss}.{java.MtimeNanoseconds:D9}Z, tree 2001-02-03T04:05:06.500000000Z",
                "etc/motd: owner: reference 0:0, tree 1000:1001",
            ],
            TreeComparison.Compare(Reference, Tree, TreeComparisonExceptions.None).Select(d => d.ToString()));
        Assert.Equal(
            ["etc/java: mtime: reference " + $"{DateTimeOffset.FromUnixTimeSeconds(java.MtimeSeconds):yyyy-MM-ddTHH:mm:ss}.{java.MtimeNanoseconds:D9}Z, tree 2001-02-03T04:05:06.500000000Z"],
            TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { OwnersIgnored = true }).Select(d => d.ToString()));
        Assert.Empty(TreeComparison.Compare(Reference, Tree, new TreeComparisonExceptions { OwnersIgnored = true, MtimesIgnored = true }));
    }

    // Every kind of difference counts but the ones that would only repeat what the test changed.
    private static TreeComparisonExceptions Everything() => new() { AbsoluteLinksRewritten = true, MtimesIgnored = true };

    /// <summary>The tree starts as <c>cp -a</c> of the reference: same owners, modes, times, hard links and devices.</summary>
    private async Task CopyReferenceAsync()
    {
        if (!Directory.Exists(Reference))
        {
            await CreateReferenceAsync();
        }

        await ToolAsync("cp", "-a", Reference, Tree);
    }

    private async Task ReplaceLinkAsync(string path, string target)
    {
        var full = Path.Join(Tree, path);
        File.Delete(full);
        File.CreateSymbolicLink(full, target);
        await RestoreTimesAsync(path, Path.GetDirectoryName(path)!);
    }

    /// <summary>Gives these tree paths their reference's modification times again, after a change touched them.</summary>
    private async Task RestoreTimesAsync(params string[] paths)
    {
        foreach (var path in paths)
        {
            await ToolAsync("touch", "-h", "-r", Path.Join(Reference, path), Path.Join(Tree, path));
        }
    }

    private static async Task ToolAsync(string program, params string[] arguments)
    {
        var run = await ProgramRun.RunAsync(program, arguments, ToolTimeout);
        Assert.True(run.ExitCode == 0, $"{run.CommandLine} exited with code {run.ExitCode}: {run.Output}");
    }
}
