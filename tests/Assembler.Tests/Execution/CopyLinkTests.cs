using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// Copying part of an image whose links point elsewhere in it, as Debian's JDK links its conf files into /etc: such
/// a link is copied as what it points to, unless the step says <c>links: refuse</c>.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class CopyLinkTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();

    public void Dispose() => _dir.Dispose();

    private Task<AssembledTree> AssembleAsync(string steps) => AssembleAsync(steps, JdkLike());

    private async Task<AssembledTree> AssembleAsync(string steps, TarBuilder image)
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/jdk:17", image);
        var spec = SpecDocument.Load($"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: {"{ name: test }"}
            sources:
              jdk: {"{ ref: registry.example/jdk:17 }"}
            steps:
            {steps}
            """).GetValidSpec("test.yaml");
        var cache = TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") });
        return await new SpecExecutor(cache, new StoreTargetLocator(_store, "memory"), new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64") })
            .AssembleAsync(spec);
    }

    private static TarBuilder JdkLike() => new TarBuilder()
        .Directory("etc").Directory("etc/java-17-openjdk").Directory("etc/java-17-openjdk/security")
        .File("etc/java-17-openjdk/accessibility.properties", "assistive_technologies=")
        .File("etc/java-17-openjdk/security/java.security", "securerandom.source=file:/dev/urandom")
        .Directory("usr/lib/jvm/java-17-openjdk-amd64/conf").Directory("usr/lib/jvm/java-17-openjdk-amd64/bin")
        .File("usr/lib/jvm/java-17-openjdk-amd64/bin/java", "ELF java", "755")
        .Symlink("usr/lib/jvm/java-17-openjdk-amd64/bin/jrunscript", "java")
        .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/accessibility.properties", "/etc/java-17-openjdk/accessibility.properties")
        .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/security", "../../../../../etc/java-17-openjdk/security")
        .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/missing", "../../../../../etc/nothing")
        .Symlink("usr/lib/jvm/default-java", "java-17-openjdk-amd64");

    [Fact]
    public async Task Links_that_lead_back_into_what_is_being_copied_are_a_cycle_not_an_endless_copy()
    {
        // Without a rule, d/a and d/b each copy d again, each copy holding a and b: 2^40 directories before any depth bound.
        var image = new TarBuilder().Directory("d").Symlink("d/a", "../d").Symlink("d/b", "../d").Directory("top").Symlink("top/l", "../d");

        var error = await Assert.ThrowsAsync<AssemblyException>(() => AssembleAsync("  - copy: { from: jdk, path: /top, to: /out }", image));

        Assert.Equal("steps[0].copy: link /d/a in source jdk points to \"../d\", which holds /d, already being copied: the links make a cycle", error.Message);
    }

    [Fact]
    public async Task A_link_to_a_directory_above_the_copied_path_is_a_cycle()
    {
        var image = new TarBuilder().Directory("top").File("top/f", "f").Symlink("top/up", "..");

        var error = await Assert.ThrowsAsync<AssemblyException>(() => AssembleAsync("  - copy: { from: jdk, path: /top, to: /out }", image));

        Assert.Equal("steps[0].copy: link /top/up in source jdk points to \"..\", which holds /top, already being copied: the links make a cycle", error.Message);
    }

    [Fact]
    public async Task Entries_a_copy_makes_count_against_the_tree_cap_on_entries()
    {
        // A directory of links fanning out to one another without a cycle still ends at the tree's cap.
        var image = new TarBuilder().Directory("top");
        for (var level = 0; level < 12; level++)
        {
            image.Directory($"l{level}").File($"l{level}/f", "f").Symlink($"l{level}/a", $"../l{level + 1}").Symlink($"l{level}/b", $"../l{level + 1}");
        }

        image.Directory("l12").Symlink("top/start", "../l0");
        await ContentBuilder.PushImageAsync(_store, "registry.example/fan:1", image);
        var spec = SpecDocument.Load("""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: fan }
            sources:
              fan: { ref: registry.example/fan:1 }
            steps:
              - copy: { from: fan, path: /top, to: /out }
            """).GetValidSpec("fan.yaml");
        var cache = TreeCache.Open(new CacheOptions { Root = _dir.Combine("fan-cache") });
        var executor = new SpecExecutor(cache, new StoreTargetLocator(_store, "memory"), new ExecutorOptions
        {
            DefaultPlatform = Platform.Parse("linux/amd64"),
            Limits = new ExtractionLimits { MaxEntries = 1000 },
        });

        var error = await Assert.ThrowsAsync<AssemblyException>(() => executor.AssembleAsync(spec));

        Assert.StartsWith("steps[0].copy: copying ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("the tree would hold more than the limit of 1000 entries (maxEntries)", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
    }

    [Fact]
    public async Task Links_that_leave_the_copied_path_are_copied_as_what_they_point_to_and_the_rest_stay_links()
    {
        var tree = await AssembleAsync("""
              - copy: { from: jdk, path: /usr/lib/jvm, include: ["java-17-openjdk-amd64/bin/**", "java-17-openjdk-amd64/conf/a*", "java-17-openjdk-amd64/conf/security", "default-java"], to: /jvm/ }
            """);

        var snapshot = TreeSnapshot.Take(tree.Path);
        Assert.Equal("file 0644 assistive_technologies=", snapshot["jvm/java-17-openjdk-amd64/conf/accessibility.properties"]);
        Assert.Equal("dir 0755", snapshot["jvm/java-17-openjdk-amd64/conf/security"]);
        Assert.Equal("file 0644 securerandom.source=file:/dev/urandom", snapshot["jvm/java-17-openjdk-amd64/conf/security/java.security"]);
        Assert.Equal("link -> java", snapshot["jvm/java-17-openjdk-amd64/bin/jrunscript"]);
        Assert.Equal("link -> java-17-openjdk-amd64", snapshot["jvm/default-java"]);
        Assert.False(snapshot.ContainsKey("etc"));
    }

    [Fact]
    public async Task A_link_to_something_the_source_lacks_is_an_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<AssemblyException>(() => AssembleAsync("""
              - copy: { from: jdk, path: /usr/lib/jvm, to: /jvm }
            """));

        Assert.Equal(
            "steps[0].copy: link /usr/lib/jvm/java-17-openjdk-amd64/conf/missing in source jdk points to \"../../../../../etc/nothing\", which does not exist in the source; set links: refuse to keep such links as links",
            error.Message);
    }

    [Fact]
    public async Task With_links_refuse_a_link_is_copied_as_a_link_and_must_stay_inside_the_tree()
    {
        var error = await Assert.ThrowsAsync<AssemblyException>(() => AssembleAsync("""
              - copy: { from: jdk, path: /usr/lib/jvm, include: ["*/conf/security"], to: /jvm/, links: refuse }
            """));

        Assert.Equal(
            "steps[0].copy: after this step the link /jvm/java-17-openjdk-amd64/conf/security is unsafe: \"../../../../../etc/java-17-openjdk/se...\" leads out of the tree from /jvm/java-17-openjdk-amd64/conf/security",
            error.Message);
    }

    [Fact]
    public async Task With_links_refuse_a_link_that_stays_inside_the_tree_where_it_lands_is_kept()
    {
        var tree = await AssembleAsync("""
              - copy: { from: jdk, path: /, include: ["etc/**", "usr/lib/jvm/java-17-openjdk-amd64/conf/security"], to: /, links: refuse }
            """);

        Assert.Equal("link -> ../../../../../etc/java-17-openjdk/security", TreeSnapshot.Take(tree.Path)["usr/lib/jvm/java-17-openjdk-amd64/conf/security"]);
    }

    [Fact]
    public void Links_is_copy_or_refuse_and_the_default_spelled_out_is_the_same_spec()
    {
        const string Head = """
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: test }
            sources:
              jdk: { ref: registry.example/jdk:17 }
            steps:

            """;
        var plain = SpecDocument.Load(Head + "  - copy: { from: jdk, path: /a, to: /a }\n").GetValidSpec("a.yaml");
        var spelled = SpecDocument.Load(Head + "  - copy: { from: jdk, path: /a, to: /a, links: copy }\n").GetValidSpec("b.yaml");
        var refusing = SpecDocument.Load(Head + "  - copy: { from: jdk, path: /a, to: /a, links: refuse }\n").GetValidSpec("c.yaml");

        Assert.Equal(plain.Digest, spelled.Digest);
        Assert.NotEqual(plain.Digest, refusing.Digest);
        var error = Assert.Throws<InvalidSpecException>(() => SpecDocument.Load(Head + "  - copy: { from: jdk, path: /a, to: /a, links: follow }\n").GetValidSpec("d.yaml"));
        Assert.Contains("steps[0].copy.links", error.Message, StringComparison.Ordinal);
    }
}
