using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// What no spec may do to a tree, whichever steps it combines: leave a link that leads out of it, or make it hold
/// more bytes than the tree's cap, counting every copy a step makes.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class TreeInvariantTests : IDisposable
{
    private const string Header = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: test }

        """;

    private const int MiB = 1024 * 1024;

    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();

    public void Dispose() => _dir.Dispose();

    private TreeCache Cache(string name = "cache") => TreeCache.Open(new CacheOptions { Root = _dir.Combine(name) });

    private SpecExecutor Executor(TreeCache cache, ExtractionLimits? limits = null) =>
        new(cache, new StoreTargetLocator(_store, "memory"), new ExecutorOptions
        {
            DefaultPlatform = Platform.Parse("linux/amd64"),
            Limits = limits ?? ExtractionLimits.Default,
        });

    private static ValidSpec Spec(string body) => SpecDocument.Load(Header + body).GetValidSpec("test.yaml");

    private async Task<AssemblyException> FailsLeavingNothingAsync(string body, ExtractionLimits? limits = null)
    {
        var cache = Cache("failing-cache");
        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor(cache, limits).AssembleAsync(Spec(body)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
        return error;
    }

    private Task PushLinksImageAsync() =>
        ContentBuilder.PushImageAsync(_store, "registry.example/links:1", new TarBuilder()
            .Directory("a")
            .Directory("a/b")
            .Symlink("a/b/l", "../../etc")
            .Symlink("a/b/m", "/etc/passwd")
            .Directory("etc")
            .File("etc/passwd", "root:x:0:0"));

    [Fact]
    public async Task Renaming_a_directory_refuses_when_a_link_inside_it_would_lead_out_of_the_tree()
    {
        await PushLinksImageAsync();

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/links:1 }
            steps:
              - copy:   { from: img, path: /a, to: /a, links: refuse }
              - rename: { path: /a/b, to: /b }
            """);

        Assert.Equal(
            "steps[1].rename: after this step the link /b/l is unsafe: \"../../etc\" leads out of the tree from /b/l",
            error.Message);
    }

    [Fact]
    public async Task Renaming_a_link_refuses_when_its_target_would_lead_out_of_the_tree_from_its_new_place()
    {
        await PushLinksImageAsync();

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/links:1 }
            steps:
              - copy:   { from: img, path: /a, to: /a, links: refuse }
              - rename: { path: /a/b/m, to: /m }
            """);

        // The image's absolute /etc/passwd is the relative link to the same entry of the image, which from /m leaves the tree.
        Assert.Equal(
            "steps[1].rename: after this step the link /m is unsafe: \"../../etc/passwd\" leads out of the tree from /m",
            error.Message);
    }

    [Fact]
    public async Task A_link_moved_to_a_place_where_it_stays_inside_the_tree_is_kept()
    {
        await PushLinksImageAsync();
        var cache = Cache();

        var tree = await Executor(cache).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/links:1 }
            steps:
              - copy:   { from: img, path: /a, to: /x/a, links: refuse }
              - rename: { path: /x/a/b, to: /y/b }
            """));

        var snapshot = TreeSnapshot.Take(tree.Path);
        Assert.Equal("link -> ../../etc", snapshot["y/b/l"]);
        Assert.Equal("link -> ../../etc/passwd", snapshot["y/b/m"]);
    }

    [Fact]
    public async Task A_source_path_under_a_link_of_the_source_is_taken_from_where_the_link_leads()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/usrmerge:1", new TarBuilder()
            .Directory("usr").Directory("usr/bin").File("usr/bin/busybox", "ELF", "755").Symlink("bin", "usr/bin"));
        var cache = Cache();

        var tree = await Executor(cache).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/usrmerge:1 }
            steps:
              - copy: { from: img, path: /bin/busybox, to: /tools/busybox }
              - copy: { from: img, path: /bin, to: /bin }
            """));

        var snapshot = TreeSnapshot.Take(tree.Path);
        Assert.Equal("file 0755 ELF", snapshot["tools/busybox"]);

        // The entry named is a link to outside what the step copies: copied as what it points to.
        Assert.Equal("dir 0755", snapshot["bin"]);
        Assert.Equal("file 0755 ELF", snapshot["bin/busybox"]);
    }

    [Fact]
    public void A_spec_that_moves_its_own_link_out_of_the_tree_is_invalid()
    {
        var error = Assert.Throws<InvalidSpecException>(() => Spec("""
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - copy:   { from: app, path: a, to: /a }
              - link:   { path: /c/d/l2, target: "../../etc" }
              - rename: { path: /c/d/l2, to: /l2 }
            """));

        Assert.Contains(
            "steps[2].rename.to: moves the link /c/d/l2 (steps[1]) to /l2, where \"../../etc\" leads out of the tree from /l2",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_that_moves_the_directory_of_its_own_link_out_of_reach_is_invalid()
    {
        var error = Assert.Throws<InvalidSpecException>(() => Spec("""
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - copy:   { from: app, path: a, to: /a }
              - link:   { path: /c/d/l2, target: /etc }
              - rename: { path: /c/d, to: /d }
            """));

        // An absolute target is stored relative to the link ("../../etc"), which from /d/l2 leaves the tree.
        Assert.Contains(
            "steps[2].rename.to: moves the link /c/d/l2 (steps[1]) to /d/l2, where \"../../etc\" leads out of the tree from /d/l2",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_target_with_dot_dot_after_a_name_is_invalid_since_the_name_may_be_a_link()
    {
        // With /d1/d2/a -> "..", the text of l resolves inside the tree but the kernel would go through a to /d1 and
        // then two levels up, out of the tree.
        var error = Assert.Throws<InvalidSpecException>(() => Spec("""
            sources:
              app: { ref: registry.example/app:1 }
            steps:
              - copy:   { from: app, path: a, to: /a }
              - link: { path: /d1/d2/a, target: ".." }
              - link: { path: /d1/d2/l, target: "a/../../.." }
            """));

        Assert.Contains("steps[2].link.target: \"a/../../..\" has '..' after a name; '..' may only come first", error.Message, StringComparison.Ordinal);
    }

    private Task PushHardLinkedImageAsync(int links) =>
        ContentBuilder.PushImageAsync(_store, "registry.example/hardlinks:1", Enumerable.Range(0, links).Aggregate(
            new TarBuilder().Directory("x").File("x/big", new MemoryStream(new byte[MiB])),
            (tar, i) => tar.HardLink($"x/h{i:D3}", "x/big")));

    [Fact]
    public async Task Hard_links_cost_nothing_until_a_mode_change_copies_them_and_each_copy_is_charged_before_it_is_written()
    {
        await PushHardLinkedImageAsync(20);
        var limits = new ExtractionLimits { MaxTotalBytes = 4 * MiB };

        // 21 names of one inode fit a 4 MiB tree: one file's bytes.
        var cache = Cache();
        var tree = await Executor(cache, limits).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/hardlinks:1 }
            steps:
              - copy: { from: img, path: /x, to: /x }
            """));
        Assert.Equal(21, Directory.GetFiles(Path.Combine(tree.Path, "x")).Length);

        // Giving each a mode of its own makes a private copy of each: the fourth copy is refused before it is made.
        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/hardlinks:1 }
            steps:
              - copy: { from: img, path: /x, to: /x, mode: "0755" }
            """, limits);
        Assert.Equal(
            $"steps[0].copy: changing the mode of /x/h002 needs a private copy of its {MiB} bytes, and the tree would hold more than the limit of {4 * MiB} bytes (maxTotalBytes)",
            error.Message);
    }

    [Fact]
    public async Task A_mode_step_over_hard_links_is_charged_like_a_copy()
    {
        await PushHardLinkedImageAsync(20);

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/hardlinks:1 }
            steps:
              - copy: { from: img, path: /x, to: /x }
              - mode: { include: ["**"], mode: "0700" }
            """, new ExtractionLimits { MaxTotalBytes = 4 * MiB });

        Assert.StartsWith("steps[1].mode: changing the mode of /x/", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"the tree would hold more than the limit of {4 * MiB} bytes (maxTotalBytes)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tree_cap_error_names_the_configured_cap_not_what_earlier_layers_left()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/two-layers:1",
            new TarBuilder().File("one", new MemoryStream(new byte[600 * 1024])),
            new TarBuilder().File("two", new MemoryStream(new byte[600 * 1024])));

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/two-layers:1 }
            steps:
              - copy: { from: img, path: /, to: / }
            """, new ExtractionLimits { MaxTotalBytes = MiB });

        Assert.StartsWith("sources.img: layer sha256:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($", entry \"two\": the tree would hold more than the limit of {MiB} bytes (maxTotalBytes)", error.Message, StringComparison.Ordinal);
    }
    [Fact]
    public async Task The_tree_cap_error_names_the_entry_where_the_layers_in_order_go_over_it_whichever_was_read_first()
    {
        // The upper layer is read ahead while the lower one writes thousands of entries before its large file: the upper
        // layer's bytes are charged first, yet in order the lower layer fits and the upper one goes over.
        var lower = new TarBuilder();
        for (var i = 0; i < 1000; i++)
        {
            lower.File($"small/{i}", "s");
        }

        lower.File("big", new MemoryStream(new byte[2 * MiB]));
        await ContentBuilder.PushImageAsync(_store, "registry.example/two-layers:2", lower, new TarBuilder().File("two", new MemoryStream(new byte[5 * MiB / 2])));

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/two-layers:2 }
            steps:
              - copy: { from: img, path: /, to: / }
            """, new ExtractionLimits { MaxTotalBytes = 4 * MiB });

        Assert.EndsWith($", entry \"two\": the tree would hold more than the limit of {4 * MiB} bytes (maxTotalBytes)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Of_two_bad_layers_the_lower_one_is_reported_though_the_upper_one_was_read_first()
    {
        var lower = new TarBuilder();
        for (var i = 0; i < 3000; i++)
        {
            lower.File($"small/{i}", "s");
        }

        lower.File("../escape", "x");
        await ContentBuilder.PushImageAsync(_store, "registry.example/two-bad:1", lower, new TarBuilder().File("../upper-escape", "x"));
        var lowerDigest = Descriptor.Create(lower.ToGzip(), MediaTypes.ImageLayerGzip).Digest;

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/two-bad:1 }
            steps:
              - copy: { from: img, path: /, to: / }
            """);

        Assert.StartsWith($"sources.img: layer {lowerDigest}, entry \"../escape\": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upper_layer_read_ahead_fails_at_its_first_bad_entry_as_in_its_turn()
    {
        // Read ahead, the layer's "../x" shows first; in its turn, "etc/passwd" under the lower layer's file comes first.
        await ContentBuilder.PushImageAsync(_store, "registry.example/parent-file:1",
            new TarBuilder().File("etc", "a file"),
            new TarBuilder().File("etc/passwd", "root").File("../x", "x"));

        var error = await FailsLeavingNothingAsync("""
            sources:
              img: { ref: registry.example/parent-file:1 }
            steps:
              - copy: { from: img, path: /, to: / }
            """);

        Assert.EndsWith(", entry \"etc/passwd\": its parent \"etc\" is not a directory", error.Message, StringComparison.Ordinal);
    }
}
