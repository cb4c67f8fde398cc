using System.Diagnostics;
using System.Globalization;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>cache du</c> and <c>cache prune</c> on a cache that <c>assemble</c> filled from a real registry, measured with du(1).</summary>
public sealed class CacheTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    private string Cache => temp.Combine("cache");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Du_reports_the_trees_and_blobs_and_the_bytes_du_counts_once_each()
    {
        await AssembleAsync("du-a", 3 * MiB);
        await AssembleAsync("du-b", 1 * MiB);

        var du = await CliProcess.RunAsync("cache", "du", "--cache", Cache);

        Assert.True(du.ExitCode == 0, du.ToString());
        var lines = Values(du.Stdout);
        var (blobBytes, treeBytes) = await DiskBytesAsync();
        Assert.Equal(2, lines["trees"]);
        Assert.Equal(Directory.GetFiles(Path.Combine(Cache, "blobs"), "*", SearchOption.AllDirectories).Length, lines["blobs"]);
        Assert.Equal(blobBytes, lines["blob bytes"]);
        Assert.Equal(treeBytes, lines["tree bytes"]);
        Assert.Equal(blobBytes + treeBytes, lines["total bytes"]);
        Assert.InRange(blobBytes, 4 * MiB, 5 * MiB);
    }

    [Fact]
    public async Task Prune_to_a_budget_removes_the_least_recently_used_tree_and_a_rebuild_works()
    {
        var (oldKey, oldSpec) = await AssembleImageAsync("prune-old", 3 * MiB);
        var (newKey, _) = await AssembleImageAsync("prune-new", 1 * MiB);
        // Outputs are hard links to the trees' files; a tree whose files a user still holds frees nothing.
        Directory.Delete(temp.Combine("out-prune-old"), recursive: true);
        Directory.Delete(temp.Combine("out-prune-new"), recursive: true);
        var (blobsBefore, treesBefore) = await DiskBytesAsync();
        var budget = blobsBefore + treesBefore - (2 * MiB);

        var prune = await CliProcess.RunAsync("cache", "prune", "--budget", budget.ToString(CultureInfo.InvariantCulture), "--cache", Cache);

        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.False(Directory.Exists(Path.Combine(Cache, "trees", oldKey)), prune.ToString());
        Assert.True(Directory.Exists(Path.Combine(Cache, "trees", newKey)), prune.ToString());
        Assert.Contains($"removed tree {oldKey} (", prune.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(newKey, prune.Stdout, StringComparison.Ordinal);
        var (blobsAfter, treesAfter) = await DiskBytesAsync();
        Assert.InRange(blobsAfter + treesAfter, 0, budget);
        Assert.True(treesBefore - treesAfter >= 3 * MiB, $"freed {treesBefore - treesAfter} bytes of trees");
        Assert.Equal(1 * MiB, new FileInfo(Path.Combine(Cache, "trees", newKey, "data.bin")).Length);

        var again = await CliProcess.RunAsync("assemble", "--plain-http", oldSpec, "--out", temp.Combine("again"), "--cache", Cache);

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(new string('x', 3 * MiB), await File.ReadAllTextAsync(temp.Combine("again", "data.bin")));
        Assert.Equal($"key:  {oldKey}", again.Stdout.Split('\n')[0]);
    }

    [Fact]
    public async Task Prune_leaves_what_was_used_within_min_idle_and_a_zero_budget_empties_the_rest()
    {
        var (key, _) = await AssembleAsync("idle", 1 * MiB);

        var kept = await CliProcess.RunAsync("cache", "prune", "--budget", "0", "--min-idle", "1h", "--cache", Cache);
        Directory.Delete(temp.Combine("out-idle"), recursive: true);
        var emptied = await CliProcess.RunAsync("cache", "prune", "--budget", "0", "--cache", Cache);

        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.DoesNotContain("removed", kept.Stdout, StringComparison.Ordinal);
        Assert.True(emptied.ExitCode == 0, emptied.ToString());
        Assert.Contains($"removed tree {key} (", emptied.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(Cache, "trees")));
        Assert.Empty(Directory.GetFiles(Path.Combine(Cache, "blobs"), "*", SearchOption.AllDirectories));
        Assert.Equal(0, Values((await CliProcess.RunAsync("cache", "du", "--cache", Cache)).Stdout)["trees"]);
    }

    [Fact]
    public async Task A_budget_that_is_not_a_size_is_refused_naming_the_flag()
    {
        var prune = await CliProcess.RunAsync("cache", "prune", "--budget", "10 gigs", "--cache", Cache);

        Assert.Equal(2, prune.ExitCode);
        Assert.Contains("--budget must be a size such as 20Gi, 500Mi or 1048576", prune.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Assembles a spec copying one file of <paramref name="bytes"/> zeros from a pushed artifact; returns the tree key and the spec.</summary>
    private async Task<(string Key, string Spec)> AssembleAsync(string name, int bytes)
    {
        var file = temp.Combine("input", name, "data.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, new byte[bytes]);
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--plain-http", $"{Server.Host}/cache-{name}/data:1.0", file)).ExitCode);
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{name}} }
            sources:
              data: { ref: {{Server.Host}}/cache-{{name}}/data:1.0 }
            steps:
              - copy: { from: data, path: data.bin, to: /data.bin }
            """, name + ".yaml");
        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out-" + name), "--cache", Cache);
        Assert.True(assemble.ExitCode == 0, assemble.ToString());
        return (assemble.Stdout.Split('\n')[0][6..], spec);
    }

    /// <summary>Assembles a spec copying one file of <paramref name="bytes"/> bytes from a pushed image (so the tree's file is its own, not a blob's link).</summary>
    private async Task<(string Key, string Spec)> AssembleImageAsync(string name, int bytes)
    {
        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushImageAsync(client.GetRepository($"{Server.Host}/cache-{name}/image"), "1", ("data.bin", new string('x', bytes), (UnixFileMode)0x1A4));
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{name}} }
            sources:
              image: { ref: {{Server.Host}}/cache-{{name}}/image:1 }
            steps:
              - copy: { from: image, path: /data.bin, to: /data.bin }
            """, name + ".yaml");
        var assemble = await CliProcess.RunAsync("assemble", "--plain-http", spec, "--out", temp.Combine("out-" + name), "--cache", Cache);
        Assert.True(assemble.ExitCode == 0, assemble.ToString());
        return (assemble.Stdout.Split('\n')[0][6..], spec);
    }

    /// <summary>du(1)'s disk bytes of what blobs/ holds and what trees/ holds beyond it (it counts each inode once across its arguments).</summary>
    private async Task<(long Blobs, long Trees)> DiskBytesAsync()
    {
        var blobs = Directory.GetFileSystemEntries(Path.Combine(Cache, "blobs"));
        var trees = Directory.GetFileSystemEntries(Path.Combine(Cache, "trees"));
        if (blobs.Length + trees.Length == 0)
        {
            return (0, 0);
        }

        using var du = Process.Start(new ProcessStartInfo("du", ["-s", "-B1", .. blobs, .. trees]) { RedirectStandardOutput = true })!;
        var lines = (await du.StandardOutput.ReadToEndAsync()).TrimEnd('\n').Split('\n');
        await du.WaitForExitAsync();
        Assert.Equal(0, du.ExitCode);
        var bytes = lines.Select(l => long.Parse(l.Split('\t')[0], CultureInfo.InvariantCulture)).ToList();
        return (bytes.Take(blobs.Length).Sum(), bytes.Skip(blobs.Length).Sum());
    }

    private static Dictionary<string, long> Values(string stdout) => stdout.TrimEnd('\n').Split('\n')
        .Select(line => line.Split(':', 2))
        .ToDictionary(p => p[0], p => long.Parse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
}
