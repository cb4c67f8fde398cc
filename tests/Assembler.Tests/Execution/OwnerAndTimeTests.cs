using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// Owners and modification times, as find(1) reads them back: views hold the layers' (links their own), steps carry
/// them into the tree, copy.owner gives a copy's entries another owner without touching what they share an inode with.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class OwnerAndTimeTests : IDisposable
{
    private const string Header = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: test }

        """;

    private const int MiB = 1024 * 1024;

    private static readonly DateTimeOffset T1 = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset T2 = new(2021, 2, 3, 4, 5, 6, TimeSpan.Zero);
    private static readonly DateTimeOffset T3 = new(2022, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly DateTimeOffset T4 = new(2023, 4, 5, 6, 7, 8, TimeSpan.Zero);
    private static readonly DateTimeOffset T5 = new(2019, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly MemoryStore _store = new();

    public void Dispose() => _dir.Dispose();

    private static long S(DateTimeOffset time) => OwnerSnapshot.Seconds(time);

    private static PaxTarEntry Entry(TarEntryType type, string name, int uid, int gid, string mode, DateTimeOffset time) =>
        new(type, name) { Uid = uid, Gid = gid, Mode = TarBuilder.Mode(mode), ModificationTime = time };

    /// <summary>/etc/shadow as Debian has it, a user's home, links owned apart from their targets.</summary>
    private static TarBuilder OwnedLayer()
    {
        var shadow = Entry(TarEntryType.RegularFile, "etc/shadow", 0, 42, "640", T2);
        shadow.DataStream = new MemoryStream("root:*:19000:0:99999:7:::\n"u8.ToArray());
        var data = Entry(TarEntryType.RegularFile, "home/app/data", 1000, 1000, "600", T4);
        data.DataStream = new MemoryStream("secret"u8.ToArray());
        var hard = Entry(TarEntryType.HardLink, "etc/shadow-", 0, 42, "640", T2);
        hard.LinkName = "etc/shadow";
        var link = Entry(TarEntryType.SymbolicLink, "home/app/link", 1000, 1001, "777", T5);
        link.LinkName = "data";
        var alt = Entry(TarEntryType.SymbolicLink, "etc/alt", 0, 42, "777", T5);
        alt.LinkName = "shadow";
        return new TarBuilder()
            .Add(Entry(TarEntryType.Directory, "etc", 0, 0, "755", T1))
            .Add(shadow)
            .Add(hard)
            .Add(alt)
            .Add(Entry(TarEntryType.Directory, "home/app", 1000, 1000, "700", T3))
            .Add(data)
            .Add(link);
    }

    /// <summary>What a view of <see cref="OwnedLayer"/> holds; "home" is implicit: 0:0, 0755, the epoch.</summary>
    private static SortedDictionary<string, string> OwnedView() => new(StringComparer.Ordinal)
    {
        ["etc"] = $"d 0:0 755 {S(T1)}",
        ["etc/alt"] = $"l 0:42 777 {S(T5)}",
        ["etc/shadow"] = $"f 0:42 640 {S(T2)}",
        ["etc/shadow-"] = $"f 0:42 640 {S(T2)}",
        ["home"] = "d 0:0 755 0",
        ["home/app"] = $"d 1000:1000 700 {S(T3)}",
        ["home/app/data"] = $"f 1000:1000 600 {S(T4)}",
        ["home/app/link"] = $"l 1000:1001 777 {S(T5)}",
    };

    private static async Task<ExtractionSummary> ApplyAsync(LayerApplier applier, TarBuilder layer, string target)
    {
        var blob = layer.ToGzip();
        var descriptor = new Descriptor { MediaType = MediaTypes.ImageLayerGzip, Digest = Digest.ComputeSha256(blob), Size = blob.Length };
        return await applier.ApplyAsync(descriptor, new MemoryStream(blob), target);
    }

    private TreeCache Cache(string name = "cache") => TreeCache.Open(new CacheOptions { Root = _dir.Combine(name) });

    private SpecExecutor Executor(TreeCache cache, ExtractionLimits? limits = null, bool? mayChown = null, List<string>? progress = null) =>
        new(cache, new StoreTargetLocator(_store, "memory"), new ExecutorOptions
        {
            DefaultPlatform = Platform.Parse("linux/amd64"),
            Limits = limits ?? ExtractionLimits.Default,
            MayChown = mayChown ?? Environment.IsPrivilegedProcess,
            Progress = progress is null ? null : progress.Add,
        });

    private static ValidSpec Spec(string body) => SpecDocument.Load(Header + body).GetValidSpec("test.yaml");

    [Fact]
    public async Task A_layer_gives_its_files_directories_links_and_hard_links_their_owners_and_times()
    {
        Assert.True(Environment.IsPrivilegedProcess, "these tests run as root, as the node plugin does");
        var view = _dir.Combine("view");
        Directory.CreateDirectory(view);

        var summary = await ApplyAsync(new LayerApplier(), OwnedLayer(), view);

        Assert.Equal(OwnedView(), OwnerSnapshot.Take(view));
        Assert.False(summary.OwnersNotKept);
    }

    [Fact]
    public async Task Without_the_right_to_chown_a_layer_keeps_modes_and_times_and_says_owners_were_not_kept()
    {
        var view = _dir.Combine("view");
        Directory.CreateDirectory(view);

        var summary = await ApplyAsync(new LayerApplier(ExtractionLimits.Default, null, mayChown: false), OwnedLayer(), view);

        // Everything belongs to the process (root here); the rest is as the layer says.
        var expected = new SortedDictionary<string, string>(
            OwnedView().ToDictionary(e => e.Key, e => System.Text.RegularExpressions.Regex.Replace(e.Value, @" \d+:\d+ ", " 0:0 ")), StringComparer.Ordinal);
        Assert.Equal(expected, OwnerSnapshot.Take(view));
        Assert.True(summary.OwnersNotKept);
    }

    [Fact]
    public async Task A_build_that_may_not_chown_reports_once_that_owners_were_not_kept()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());
        var spec = Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
            steps:
              - copy: { from: img, path: /, to: / }
            """);

        var progress = new List<string>();
        var tree = await Executor(Cache("unprivileged"), mayChown: false, progress: progress).AssembleAsync(spec);
        Assert.True(tree.OwnersNotKept);
        Assert.Single(progress, p => p.StartsWith("owners were not kept", StringComparison.Ordinal));
        Assert.Equal($"f 0:0 640 {S(T2)}", OwnerSnapshot.Take(tree.Path)["etc/shadow"]);

        var quiet = new List<string>();
        var kept = await Executor(Cache("privileged"), progress: quiet).AssembleAsync(spec);
        Assert.False(kept.OwnersNotKept);
        Assert.DoesNotContain(quiet, p => p.Contains("owners", StringComparison.Ordinal));
        Assert.Equal($"f 0:42 640 {S(T2)}", OwnerSnapshot.Take(kept.Path)["etc/shadow"]);
    }

    /// <summary>The owned image, and a folder artifact <c>conf</c> whose directory and file belong to 1000:1000.</summary>
    private async Task PushOwnedImageAndConfAsync()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());
        var conf = Entry(TarEntryType.RegularFile, "conf/app.properties", 1000, 1000, "640", T4);
        conf.DataStream = new MemoryStream("port=8080\n"u8.ToArray());
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/conf:1", [],
            [("conf", new TarBuilder().Add(Entry(TarEntryType.Directory, "conf", 1000, 1000, "750", T3)).Add(conf))]);
    }

    [Fact]
    public async Task Copy_keeps_owners_and_times_through_steps_and_a_mode_change_keeps_them_on_its_private_copy()
    {
        await PushOwnedImageAndConfAsync();

        var tree = await Executor(Cache()).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
              conf: { ref: registry.example/conf:1 }
            steps:
              - copy: { from: img, path: /etc, to: /etc }
              - copy: { from: img, path: /home, to: /home }
              - copy: { from: img, path: /etc/shadow, to: /backup/shadow, mode: "0600" }
              - copy: { from: img, path: /home/app/data, to: /home/app/more }
              - copy: { from: conf, path: /conf, to: /conf }
              - link: { path: /etc/current, target: shadow }
              - remove: { path: /etc/current }
            """));

        var expected = OwnedView();
        expected["backup"] = "d 0:0 755 0";
        expected["backup/shadow"] = $"f 0:42 600 {S(T2)}";
        expected["home/app/more"] = $"f 1000:1000 600 {S(T4)}";
        expected["conf"] = $"d 1000:1000 750 {S(T3)}";
        expected["conf/app.properties"] = $"f 1000:1000 640 {S(T4)}";
        Assert.Equal(expected, OwnerSnapshot.Take(tree.Path));
    }

    [Fact]
    public async Task A_whole_image_copied_to_the_root_keeps_owners_and_times_through_later_steps_and_hard_links_stay_apart()
    {
        await PushOwnedImageAndConfAsync();

        // The image's view is read by no later step, so it is moved into the tree; later steps then write into its
        // directories (whose times must come back) and change a file that is a hard link of the layer's.
        var tree = await Executor(Cache()).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
              conf: { ref: registry.example/conf:1 }
            steps:
              - copy: { from: img, path: /, to: / }
              - copy: { from: conf, path: /conf, to: /etc/conf }
              - link: { path: /home/app/new, target: data }
              - mode: { path: /etc/shadow, mode: "0600" }
            """));

        var expected = OwnedView();
        expected["etc/shadow"] = $"f 0:42 600 {S(T2)}";
        expected["etc/conf"] = $"d 1000:1000 750 {S(T3)}";
        expected["etc/conf/app.properties"] = $"f 1000:1000 640 {S(T4)}";
        expected["home/app/new"] = "l 0:0 777 0";
        Assert.Equal(expected, OwnerSnapshot.Take(tree.Path));
        Assert.Equal("root:*:19000:0:99999:7:::\n", File.ReadAllText(Path.Combine(tree.Path, "etc/shadow-")));
    }

    [Fact]
    public async Task A_whole_image_copied_to_the_root_is_still_there_for_a_later_step_that_reads_the_same_source()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());

        var tree = await Executor(Cache()).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
            steps:
              - copy: { from: img, path: /, to: / }
              - copy: { from: img, path: /etc/shadow, to: /backup/shadow }
            """));

        var expected = OwnedView();
        expected["backup"] = "d 0:0 755 0";
        expected["backup/shadow"] = $"f 0:42 640 {S(T2)}";
        Assert.Equal(expected, OwnerSnapshot.Take(tree.Path));
    }

    [Fact]
    public async Task A_whole_image_copied_to_the_root_is_charged_to_the_entry_budget_entry_by_entry()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());
        var cache = Cache();

        // The layer's 7 entries fit; the copy's root and its first 4 entries make 12, and /home would be the 13th.
        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor(cache, new ExtractionLimits { MaxEntries = 12 }).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
            steps:
              - copy: { from: img, path: /, to: / }
            """)));

        Assert.Equal("steps[0].copy: copying /home from source img: the tree would hold more than the limit of 12 entries (maxEntries)", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
    }

    [Fact]
    public async Task Copy_owner_gives_every_copied_entry_that_owner_and_leaves_the_blob_as_it_was()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());
        await ContentBuilder.PushArtifactAsync(_store, "registry.example/app:1", [("app.jar", "PK jar", "application/java-archive")]);
        var cache = Cache();

        var tree = await Executor(cache).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
              app: { ref: registry.example/app:1 }
            steps:
              - copy: { from: img, path: /home/app, to: /srv, owner: "2000:2001" }
              - copy: { from: app, path: app.jar, to: /srv/app.jar, owner: "1000:1000" }
              - copy: { from: img, path: /etc/shadow, to: /shadow, owner: "1000:1000" }
              - copy: { from: app, path: app.jar, to: /root.jar }
            """));

        var snapshot = OwnerSnapshot.Take(tree.Path);
        Assert.Equal($"d 2000:2001 700 {S(T3)}", snapshot["srv"]);
        Assert.Equal($"f 2000:2001 600 {S(T4)}", snapshot["srv/data"]);
        Assert.Equal($"l 2000:2001 777 {S(T5)}", snapshot["srv/link"]);
        Assert.StartsWith("f 1000:1000 644 ", snapshot["srv/app.jar"], StringComparison.Ordinal);
        Assert.Equal($"f 1000:1000 640 {S(T2)}", snapshot["shadow"]);

        // The blob keeps its owner, and still backs the copy that asked for no owner.
        var blob = cache.Blobs.GetPath(Digest.ComputeSha256(Encoding.UTF8.GetBytes("PK jar")));
        Assert.StartsWith("f 0:0 644 ", OwnerSnapshot.Of(blob), StringComparison.Ordinal);
        Assert.Equal(snapshot["root.jar"], OwnerSnapshot.Of(blob));
        Assert.Equal(File.ReadAllText(blob), File.ReadAllText(Path.Combine(tree.Path, "srv/app.jar")));
    }

    [Fact]
    public async Task Copy_owner_over_hard_links_makes_private_copies_charged_to_the_tree_budget()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/hardlinks:1", Enumerable.Range(0, 20).Aggregate(
            new TarBuilder().Directory("x").File("x/big", new MemoryStream(new byte[MiB])),
            (tar, i) => tar.HardLink($"x/h{i:D3}", "x/big")));
        var cache = Cache();

        var error = await Assert.ThrowsAsync<AssemblyException>(() => Executor(cache, new ExtractionLimits { MaxTotalBytes = 4 * MiB }).AssembleAsync(Spec("""
            sources:
              img: { ref: registry.example/hardlinks:1 }
            steps:
              - copy: { from: img, path: /x, to: /x, owner: "1000:1000" }
            """)));

        Assert.Equal(
            $"steps[0].copy: changing the owner of /x/h002 needs a private copy of its {MiB} bytes, and the tree would hold more than the limit of {4 * MiB} bytes (maxTotalBytes)",
            error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache.TreesDirectory));
    }

    [Fact]
    public async Task An_oras_file_is_root_owned_with_the_fixed_time_and_a_blob_that_differs_is_copied_not_linked()
    {
        var blob = _dir.Combine("blob");
        await File.WriteAllTextAsync(blob, "PK jar");
        NativeMethods.SetOwner(blob, 1000, 1000);
        File.SetUnixFileMode(blob, TarBuilder.Mode("444"));
        File.SetLastWriteTimeUtc(blob, T1.UtcDateTime);
        var target = _dir.Combine("target");
        Directory.CreateDirectory(target);
        var layer = new Descriptor
        {
            MediaType = "application/java-archive",
            Digest = Digest.ComputeSha256("PK jar"u8.ToArray()),
            Size = 6,
            Annotations = new Dictionary<string, string> { [Annotations.Title] = "app.jar" },
        };

        var summary = await new ArtifactLayerWriter().LinkFileAsync(layer, blob, target);

        Assert.Equal("f 0:0 644 0", OwnerSnapshot.Of(Path.Combine(target, "app.jar")));
        Assert.Equal("PK jar", await File.ReadAllTextAsync(Path.Combine(target, "app.jar")));
        Assert.Equal($"f 1000:1000 444 {S(T1)}", OwnerSnapshot.Of(blob));
        Assert.Equal(6, summary.FileBytes);
    }

    [Fact]
    public async Task Specs_that_differ_only_in_owner_give_different_trees_and_one_owner_spelled_two_ways_gives_one()
    {
        await ContentBuilder.PushImageAsync(_store, "registry.example/owned:1", OwnedLayer());
        var cache = Cache();
        ValidSpec Owned(string owner) => Spec($$"""
            sources:
              img: { ref: registry.example/owned:1 }
            steps:
              - copy: { from: img, path: /home/app, to: /srv, owner: "{{owner}}" }
            """);

        var first = await Executor(cache).AssembleAsync(Owned("1000:1000"));
        var second = await Executor(cache).AssembleAsync(Owned("1001:1000"));
        var again = await Executor(cache).AssembleAsync(Owned("01000:1000"));

        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal($"d 1001:1000 700 {S(T3)}", OwnerSnapshot.Take(second.Path)["srv"]);
        Assert.Equal(first.Key, again.Key);
        Assert.DoesNotContain("owner", Encoding.UTF8.GetString(SpecJson.Serialize(Spec("""
            sources:
              img: { ref: registry.example/owned:1 }
            steps:
              - copy: { from: img, path: /home/app, to: /srv }
            """).Model)), StringComparison.Ordinal);
    }
}
