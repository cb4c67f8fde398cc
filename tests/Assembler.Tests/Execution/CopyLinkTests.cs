using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
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

    private async Task<AssembledTree> AssembleAsync(string steps)
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/jdk:17", new TarBuilder()
            .Directory("etc").Directory("etc/java-17-openjdk").Directory("etc/java-17-openjdk/security")
            .File("etc/java-17-openjdk/accessibility.properties", "assistive_technologies=")
            .File("etc/java-17-openjdk/security/java.security", "securerandom.source=file:/dev/urandom")
            .Directory("usr/lib/jvm/java-17-openjdk-amd64/conf").Directory("usr/lib/jvm/java-17-openjdk-amd64/bin")
            .File("usr/lib/jvm/java-17-openjdk-amd64/bin/java", "ELF java", "755")
            .Symlink("usr/lib/jvm/java-17-openjdk-amd64/bin/jrunscript", "java")
            .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/accessibility.properties", "/etc/java-17-openjdk/accessibility.properties")
            .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/security", "../../../../../etc/java-17-openjdk/security")
            .Symlink("usr/lib/jvm/java-17-openjdk-amd64/conf/missing", "../../../../../etc/nothing")
            .Symlink("usr/lib/jvm/default-java", "java-17-openjdk-amd64"));
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

        Assert.Equal(SpecExecutor.SpecDigest(plain), SpecExecutor.SpecDigest(spelled));
        Assert.NotEqual(SpecExecutor.SpecDigest(plain), SpecExecutor.SpecDigest(refusing));
        var error = Assert.Throws<InvalidSpecException>(() => SpecDocument.Load(Head + "  - copy: { from: jdk, path: /a, to: /a, links: follow }\n").GetValidSpec("d.yaml"));
        Assert.Contains("steps[0].copy.links", error.Message, StringComparison.Ordinal);
    }
}
