using System.Text.Json;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Targets;

/// <summary>The embedded default store: an OCI image layout on disk, no registry anywhere.</summary>
public sealed class OciLayoutTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Pack_and_pull_round_trip_through_a_layout_directory()
    {
        var folder = SampleTrees.Create(temp.Path);
        var file = temp.Combine("readme.md");
        await File.WriteAllTextAsync(file, "# readme\n");
        var layout = temp.Combine("layout");

        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{layout}:1.0", folder, file);
        var byTag = await CliProcess.RunAsync("pull", "--oci-layout", $"{layout}:1.0", "-o", temp.Combine("by-tag"));
        var byDigest = await CliProcess.RunAsync("pull", "--oci-layout", $"{layout}@{pack.Stdout.Trim()}", "-o", temp.Combine("by-digest"));

        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(0, byTag.ExitCode);
        Assert.Equal(0, byDigest.ExitCode);
        Assert.Equal(TreeSnapshot.Of(folder), TreeSnapshot.Of(temp.Combine("by-tag", "app")));
        Assert.Equal(TreeSnapshot.Of(temp.Combine("by-tag")), TreeSnapshot.Of(temp.Combine("by-digest")));
        Assert.Equal("# readme\n", await File.ReadAllTextAsync(temp.Combine("by-tag", "readme.md")));

        // A layout other tools can read: the tag is the ref.name annotation of the manifest in index.json.
        using var index = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(layout, "index.json")));
        var entry = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal(pack.Stdout.Trim(), entry.GetProperty("digest").GetString());
        Assert.Equal("1.0", entry.GetProperty("annotations").GetProperty(Annotations.RefName).GetString());
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", await File.ReadAllTextAsync(Path.Combine(layout, "oci-layout")));
    }

    [Fact]
    public async Task A_layout_reference_without_a_tag_means_latest_and_tags_lists_them()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a\n");
        var layout = temp.Combine("layout");

        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--oci-layout", layout, file)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync("pack", "--oci-layout", $"{layout}:v2", file)).ExitCode);
        var tags = await CliProcess.RunAsync("tags", "--oci-layout", layout);

        Assert.Equal(0, tags.ExitCode);
        Assert.Equal("latest\nv2\n", tags.Stdout);
    }

    [Fact]
    public async Task A_corrupted_blob_fails_the_pull_and_leaves_no_partial_file()
    {
        var file = temp.Combine("big.bin");
        await File.WriteAllBytesAsync(file, SampleTrees.Random(1_000_000, seed: 5));
        var layout = temp.Combine("layout");
        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{layout}:1", file);
        var blob = Path.Combine(layout, "blobs", "sha256", Digest.Encoded(Digest.ComputeSha256(await File.ReadAllBytesAsync(file))));
        var bytes = await File.ReadAllBytesAsync(blob);
        bytes[bytes.Length / 2] ^= 0x01;
        File.SetUnixFileMode(blob, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllBytesAsync(blob, bytes);

        var pull = await CliProcess.RunAsync("pull", "--oci-layout", $"{layout}:1", "-o", temp.Combine("out"));

        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(1, pull.ExitCode);
        Assert.Contains("Error: layer \"big.bin\"", pull.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Combine("out")));
    }

    [Fact]
    public async Task Pulling_from_a_missing_layout_is_invalid_input()
    {
        var pull = await CliProcess.RunAsync("pull", "--oci-layout", $"{temp.Combine("nowhere")}:1", "-o", temp.Combine("out"));

        Assert.Equal(2, pull.ExitCode);
        Assert.Equal($"Error: OCI layout directory {temp.Combine("nowhere")} does not exist\n", pull.Stderr);
        Assert.False(Directory.Exists(temp.Combine("nowhere")));
    }

    [Fact]
    public async Task Inspect_reads_a_layout_too()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a\n");
        var layout = temp.Combine("layout");
        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{layout}:1", file);

        var inspect = await CliProcess.RunAsync("inspect", "--oci-layout", $"{layout}:1", "--output", "json");

        Assert.Equal(0, inspect.ExitCode);
        using var report = JsonDocument.Parse(inspect.Stdout);
        Assert.Equal(pack.Stdout.Trim(), report.RootElement.GetProperty("digest").GetString());
        Assert.Equal("a.txt", report.RootElement.GetProperty("layers")[0].GetProperty("title").GetString());
    }
}
