using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

[UnsupportedOSPlatform("windows")]
public sealed class SpecExecutorTests : IDisposable
{
    private const string Header = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: test }

        """;

    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();
    private readonly CountingTarget _counting;

    public SpecExecutorTests() => _counting = new CountingTarget(_store);

    public void Dispose() => _dir.Dispose();

    private TreeCache Cache() => TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") });

    private Assembling Executor(TreeCache? cache = null, ExecutorOptions? options = null) =>
        new(cache ?? Cache(), new StoreTargetLocator(_counting, "memory"), options ?? new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64") });

    private static ValidSpec Spec(string body) => SpecDocument.Load(Header + body).GetValidSpec("test.yaml");

    /// <summary>A JAR-like file artifact, a folder artifact, and a two-layer image with a whiteout and an opaque dir.</summary>
    private async Task PushExampleAsync()
    {
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/hello-jar:1.0",
            [("HelloWorldServer.jar", "PK jar bytes", "application/java-archive")]);
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/hello-conf:1.0", [],
            [("conf", new TarBuilder()
                .Directory("conf")
                .File("conf/prod.properties", "greeting=hi")
                .File("conf/dev.properties", "greeting=dev")
                .Directory("conf/test")
                .File("conf/test/x.properties", "test only")
                .File("conf/readme.txt", "not a properties file"))]);
        await ContentBuilder.PushImageAsync(_store, "registry.example/library/busybox:1.36",
            new TarBuilder()
                .Directory("bin")
                .File("bin/busybox", "ELF busybox", mode: "755")
                .File("bin/old-tool", "to be whited out", mode: "755")
                .Directory("etc")
                .File("etc/motd", "lower motd")
                .Directory("var/cache")
                .File("var/cache/junk", "hidden by opaque"),
            new TarBuilder()
                .Whiteout("bin/.wh.old-tool")
                .File("var/cache/.wh..wh..opq", "")
                .File("var/cache/fresh", "upper")
                .File("etc/motd", "upper motd"));
    }

    [Fact]
    public async Task The_tree_is_exactly_what_the_spec_says()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              app:   { ref: registry.example/apps/hello-jar:1.0 }
              conf:  { ref: registry.example/apps/hello-conf:1.0 }
              tools: { ref: registry.example/library/busybox:1.36 }
            steps:
              - copy:   { from: app,  path: HelloWorldServer.jar, to: /HelloWorldServer.jar }
              - copy:   { from: conf, path: conf, include: ["**/*.properties"], exclude: ["test/**"], to: /conf/ }
              - rename: { path: /conf/prod.properties, to: /conf/application.properties }
              - copy:   { from: tools, path: /bin, to: /bin }
              - copy:   { from: tools, path: /etc/motd, to: /etc/ }
              - copy:   { from: tools, path: /var, to: /var }
              - link:   { path: /bin/sh, target: busybox }
              - link:   { path: /app.jar, target: /HelloWorldServer.jar }
              - mode:   { path: /conf/application.properties, mode: "0600" }
            """);

        var tree = await Executor().AssembleAsync(spec);

        Assert.True(tree.Built);
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["HelloWorldServer.jar"] = "file 0644 PK jar bytes",
            ["app.jar"] = "link -> HelloWorldServer.jar",
            ["bin"] = "dir 0755",
            ["bin/busybox"] = "file 0755 ELF busybox",
            ["bin/sh"] = "link -> busybox",
            ["conf"] = "dir 0755",
            ["conf/application.properties"] = "file 0600 greeting=hi",
            ["conf/dev.properties"] = "file 0644 greeting=dev",
            ["etc"] = "dir 0755",
            ["etc/motd"] = "file 0644 upper motd",
            ["var"] = "dir 0755",
            ["var/cache"] = "dir 0755",
            ["var/cache/fresh"] = "file 0644 upper",
        }, TreeSnapshot.Take(tree.Path));
        Assert.Equal(tree.Path, Cache().TreePath(tree.Key));
        Assert.Equal(["app", "conf", "tools"], tree.Sources.Select(s => s.Name));
        Assert.True(tree.Sources.Single(s => s.Name == "tools").IsImage);
    }

    [Fact]
    public async Task An_ORAS_file_is_a_hard_link_to_its_blob_and_a_mode_change_breaks_the_link_first()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              app: { ref: registry.example/apps/hello-jar:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /shared.jar }
              - copy: { from: app, path: HelloWorldServer.jar, to: /private.jar, mode: "0755" }
            """);
        var cache = Cache();

        var tree = await Executor(cache).AssembleAsync(spec);

        var blob = cache.Blobs.GetPath(Digest.ComputeSha256("PK jar bytes"u8));
        Assert.Equal(Inode(blob), Inode(Path.Combine(tree.Path, "shared.jar")));
        Assert.NotEqual(Inode(blob), Inode(Path.Combine(tree.Path, "private.jar")));
        Assert.Equal("0644", TreeSnapshot.Octal(File.GetUnixFileMode(blob)));
        Assert.Equal("0755", TreeSnapshot.Octal(File.GetUnixFileMode(Path.Combine(tree.Path, "private.jar"))));
    }

    [Fact]
    public async Task A_second_assembly_reuses_the_tree_without_asking_the_store()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              app: { ref: registry.example/apps/hello-jar:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /app.jar }
            """);
        var cache = Cache();
        var first = await Executor(cache).AssembleAsync(spec);
        var resolves = _counting.Resolves;

        var second = await Executor(cache).AssembleAsync(spec);

        Assert.False(second.Built);
        Assert.Equal(first.Key, second.Key);
        Assert.Equal(resolves, _counting.Resolves);
    }

    [Fact]
    public async Task Pull_policy_Always_sees_a_moved_tag_and_fetches_only_what_changed()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              app:  { ref: registry.example/apps/hello-jar:1.0 }
              conf: { ref: registry.example/apps/hello-conf:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /app.jar }
              - copy: { from: conf, path: conf, to: /conf }
            """);
        var cache = Cache();
        var always = new ExecutorOptions { PullPolicy = PullPolicy.Always, DefaultPlatform = Platform.Parse("linux/amd64") };
        var first = await Executor(cache, always).AssembleAsync(spec);
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/apps/hello-jar:1.0",
            [("HelloWorldServer.jar", "PK jar bytes v2", "application/java-archive")]);
        _counting.BlobFetches.Clear();

        var pinned = await Executor(cache).AssembleAsync(spec);
        var second = await Executor(cache, always).AssembleAsync(spec);

        Assert.Equal(first.Key, pinned.Key);
        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal("PK jar bytes v2", File.ReadAllText(Path.Combine(second.Path, "app.jar")));
        Assert.Equal([Digest.ComputeSha256("PK jar bytes v2"u8)], _counting.BlobFetches.Keys);
        Assert.Equal(1, _counting.FetchesOf(Digest.ComputeSha256("PK jar bytes v2"u8)));
    }

    [Fact]
    public async Task Concurrent_assemblies_of_one_spec_fetch_each_blob_once_and_share_one_tree()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              tools: { ref: registry.example/library/busybox:1.36 }
              conf:  { ref: registry.example/apps/hello-conf:1.0 }
            steps:
              - copy: { from: tools, path: /bin/busybox, to: /bin/busybox }
              - copy: { from: conf, path: conf, to: /conf }
            """);
        var cache = Cache();
        var executor = Executor(cache);

        var trees = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => executor.AssembleAsync(spec))));

        Assert.Single(trees.Select(t => t.Path).Distinct());
        Assert.Single(trees, t => t.Built);
        Assert.Equal(3, _counting.BlobFetches.Count);
        Assert.All(_counting.BlobFetches, f => Assert.Equal(1, f.Value));
    }

    [Fact]
    public async Task An_index_source_gives_the_platform_asked_for()
    {
        var amd = await ContentBuilder.PushImageAsync(_store, "registry.example/multi:amd64", new TarBuilder().File("arch", "amd64"));
        var arm = await ContentBuilder.PushImageAsync(_store, "registry.example/multi:arm64", new TarBuilder().File("arch", "arm64"));
        await ContentBuilder.PushIndexAsync(_store, "registry.example/multi:1.0",
            amd with { Platform = Platform.Parse("linux/amd64") }, arm with { Platform = Platform.Parse("linux/arm64") });
        var spec = Spec("""
            sources:
              native: { ref: registry.example/multi:1.0 }
              arm:    { ref: registry.example/multi:1.0, platform: linux/arm64 }
            steps:
              - copy: { from: native, path: arch, to: /native }
              - copy: { from: arm, path: arch, to: /arm }
            """);

        var tree = await Executor().AssembleAsync(spec);

        Assert.Equal("amd64", File.ReadAllText(Path.Combine(tree.Path, "native")));
        Assert.Equal("arm64", File.ReadAllText(Path.Combine(tree.Path, "arm")));
    }

    [Fact]
    public async Task Layers_filtered_out_are_never_fetched()
    {
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/bundle:1",
            [("server.jar", "jar", "application/java-archive"), ("big.iso", "huge image", "application/x-iso9660-image")]);
        var spec = Spec("""
            sources:
              bundle: { ref: registry.example/bundle:1, mediaTypes: [application/java-archive] }
            steps:
              - copy: { from: bundle, path: server.jar, to: /server.jar }
            """);

        var tree = await Executor().AssembleAsync(spec);

        Assert.Equal(["server.jar"], TreeSnapshot.Take(tree.Path).Keys);
        Assert.Equal(0, _counting.FetchesOf(Digest.ComputeSha256("huge image"u8)));
    }

    [Theory]
    [InlineData("""
        sources:
          conf: { ref: registry.example/apps/hello-conf:1.0 }
        steps:
          - copy: { from: conf, path: conf, include: ["*.properties"], to: /etc/ }
          - copy: { from: conf, path: conf, include: ["prod.*"], to: /etc/ }
        """, "steps[1].copy: /etc/prod.properties already exists; set overwrite: true to replace it")]
    [InlineData("""
        sources:
          conf: { ref: registry.example/apps/hello-conf:1.0 }
        steps:
          - copy: { from: conf, path: conf/missing.properties, to: /x }
        """, "steps[0].copy: path /conf/missing.properties does not exist in source conf")]
    [InlineData("""
        sources:
          conf: { ref: registry.example/apps/hello-conf:1.0 }
        steps:
          - copy: { from: conf, include: ["**/*.yaml"], to: /etc/ }
        """, "steps[0].copy: include and exclude select no file under / in source conf")]
    [InlineData("""
        sources:
          app: { ref: registry.example/apps/hello-jar:1.0 }
        steps:
          - copy: { from: app, path: HelloWorldServer.jar, to: /a.jar }
          - rename: { path: /b.jar, to: /c.jar }
        """, "steps[1].rename: /b.jar does not exist")]
    [InlineData("""
        sources:
          tools: { ref: registry.example/library/busybox:1.36 }
        steps:
          - copy: { from: tools, path: /bin, to: /bin }
          - link: { path: /lib, target: /bin }
          - copy: { from: tools, path: /etc/motd, include: ["*"], to: /x/ }
        """, "steps[2].copy: path /etc/motd in source tools is not a directory, so include and exclude cannot select in it")]
    [InlineData("""
        sources:
          missing: { ref: registry.example/apps/nothing:1.0 }
        steps:
          - copy: { from: missing, path: x, to: /x }
        """, "sources.missing: ")]
    public async Task A_step_that_cannot_be_done_fails_naming_the_step_and_leaves_no_tree(string body, string expected)
    {
        await PushExampleAsync();
        var cache = Cache();

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor(cache).AssembleAsync(Spec(body)));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
    }

    [Fact]
    public async Task Overwrite_replaces_what_a_glob_brought_in()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              conf:  { ref: registry.example/apps/hello-conf:1.0 }
              tools: { ref: registry.example/library/busybox:1.36 }
            steps:
              - copy: { from: conf, path: conf, include: ["*.properties"], to: /etc/ }
              - copy: { from: tools, path: /etc, include: ["motd"], to: /etc/ }
              - copy: { from: conf, path: conf/readme.txt, to: /etc/motd, overwrite: true }
              - remove: { include: ["etc/dev.*"] }
            """);

        var tree = await Executor().AssembleAsync(spec);

        Assert.Equal("not a properties file", File.ReadAllText(Path.Combine(tree.Path, "etc/motd")));
        Assert.Equal(["etc", "etc/motd", "etc/prod.properties"], TreeSnapshot.Take(tree.Path).Keys);
    }

    [Fact]
    public async Task A_hostile_layer_fails_the_source_naming_layer_and_entry_and_leaves_nothing()
    {
        var evil = await ContentBuilder.PushImageAsync(_store, "registry.example/evil:1",
            new TarBuilder().File("ok", "fine").File("../../escape", "out"));
        var spec = Spec("""
            sources:
              evil: { ref: registry.example/evil:1 }
            steps:
              - copy: { from: evil, path: ok, to: /ok }
            """);
        var cache = Cache();

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor(cache).AssembleAsync(spec));

        var layer = OciJson.Deserialize<Manifest>(await _store.FetchAllAsync(evil, 1 << 20), "m").Layers[0];
        Assert.StartsWith($"sources.evil: layer {layer.Digest}, entry \"../../escape\":", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TempDirectory));
        Assert.False(File.Exists(_dir.Combine("escape")));
    }

    [Fact]
    public async Task Links_in_an_image_are_read_from_the_image_root_and_copied_as_relative_links()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/links:1",
            new TarBuilder().Directory("opt").File("opt/real", "x").Symlink("opt/abs", "/opt/real").Symlink("opt/rel", "real"));
        await ContentBuilder.PushImageAsync(_store, "registry.example/links:2",
            new TarBuilder().Directory("opt").Symlink("opt/up", "../../../etc/passwd"));
        var spec = Spec("""
            sources:
              l: { ref: registry.example/links:1 }
            steps:
              - copy: { from: l, path: opt, include: ["real", "rel", "abs"], to: /o/ }
            """);
        var escaping = Spec("""
            sources:
              l: { ref: registry.example/links:2 }
            steps:
              - copy: { from: l, path: opt, to: /o }
            """);

        var tree = await Executor().AssembleAsync(spec);
        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor().AssembleAsync(escaping));

        var snapshot = TreeSnapshot.Take(tree.Path);
        Assert.Equal("link -> real", snapshot["o/rel"]);
        Assert.Equal("link -> ../opt/real", snapshot["o/abs"]);
        Assert.StartsWith("sources.l: layer sha256:", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"opt/up\"", error.Message, StringComparison.Ordinal);
    }

    private static string Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }

    [Fact]
    public async Task Downloads_are_reported_only_for_blobs_no_cache_has()
    {
        await PushExampleAsync();
        var spec = Spec("""
            sources:
              app:  { ref: registry.example/apps/hello-jar:1.0 }
              conf: { ref: registry.example/apps/hello-conf:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /app.jar }
              - copy: { from: conf, path: conf, to: /conf }
            """);
        var cache = Cache();
        var downloaded = new List<string>();
        var options = new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64"), PullPolicy = PullPolicy.Always, Downloading = d => downloaded.Add(d.Digest) };

        await Executor(cache, options).AssembleAsync(spec);
        var first = downloaded.Order(StringComparer.Ordinal).ToList();
        downloaded.Clear();
        var sameJar = Spec("""
            sources:
              app: { ref: registry.example/apps/hello-jar:1.0 }
            steps:
              - copy: { from: app, path: HelloWorldServer.jar, to: /renamed.jar }
            """);
        var second = await Executor(cache, options).AssembleAsync(sameJar);

        Assert.Equal(2, first.Count);
        Assert.True(second.Built);
        Assert.Empty(downloaded);
    }

    /// <summary>A spec assembled the way every host does it, through <see cref="TreeAssembler"/> (pins and pull policy included).</summary>
    private sealed class Assembling(TreeCache cache, ITargetLocator locator, ExecutorOptions options)
    {
        public Task<AssembledTree> AssembleAsync(ValidSpec spec) =>
            new TreeAssembler(cache).AssembleAsync(new AssemblyRequest { Spec = spec, Locator = locator, Options = options }, accessCheck: null);
    }
}
