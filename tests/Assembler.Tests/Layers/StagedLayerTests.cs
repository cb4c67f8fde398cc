using System.Formats.Tar;
using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// A layer read ahead of its turn (<see cref="LayerApplier.StageAsync"/>, its files written aside while the layers below
/// it are applied) and then applied in its turn gives exactly the tree the same layers applied one after another give:
/// the same entries, bytes, modes, owners, times, link targets and hard-link groups, or the same error, word for word.
/// Each case is a stack of layers whose upper ones depend on what the lower ones left: links to go through, entries to
/// replace or hide, files to link to.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class StagedLayerTests : IDisposable
{
    private static readonly DateTimeOffset Later = TarBuilder.Time.AddDays(3);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static TarBuilder UsrMerged() => new TarBuilder()
        .Directory("usr").Directory("usr/bin").Directory("usr/lib", modified: Later)
        .File("usr/bin/busybox", "ELF", "755")
        .Symlink("bin", "usr/bin")
        .Symlink("lib", "usr/lib");

    private static TarEntry Owned(TarEntryType type, string name, int uid, int gid, string mode, string? content = null)
    {
        var entry = new PaxTarEntry(type, name) { Uid = uid, Gid = gid, Mode = TarBuilder.Mode(mode), ModificationTime = Later };
        if (content is not null)
        {
            entry.DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        }

        return entry;
    }

    /// <summary>The stacks, lowest layer first, by name.</summary>
    private static readonly Dictionary<string, Func<TarBuilder[]>> Stacks = new()
    {
        ["entries under usr-merge links land in usr"] = () =>
        [
            UsrMerged(),
            new TarBuilder().File("bin/x", "x", "755").Symlink("bin/sh", "busybox").File("lib/libc.so", "libc").HardLink("bin/x-again", "bin/x"),
        ],
        ["a directory listed after its children replaces the link they went through"] = () =>
        [
            UsrMerged(),
            new TarBuilder().File("bin/early", "early").Directory("bin", "750", Later).File("bin/late", "late"),
        ],
        ["an absolute link is rewritten from where it lands, through a lower link"] = () =>
        [
            UsrMerged().Directory("etc").File("etc/conf", "c"),
            new TarBuilder().Symlink("lib/conf", "/etc/conf").Symlink("etc/self", "/etc"),
        ],
        ["whiteouts hide lower entries only, before or after the layer's own"] = () =>
        [
            new TarBuilder().Directory("d").File("d/a", "a").File("d/b", "b").File("d/c", "c").Directory("e").File("e/x", "x").File("top", "t"),
            new TarBuilder().File("d/a", "new a").Whiteout("d/.wh.a").Whiteout("d/.wh.b").File("d/b", "new b").Whiteout("d/.wh.c").Whiteout(".wh.e").Whiteout(".wh.nothing"),
        ],
        ["an opaque directory keeps only what its layer wrote"] = () =>
        [
            new TarBuilder().Directory("o").File("o/lower", "l").Directory("o/sub").File("o/sub/deep", "d").Symlink("o/link", "lower"),
            new TarBuilder().File("o/sub/mine", "m").Whiteout("o/.wh..wh..opq").File("o/after", "a"),
        ],
        ["whiteouts go through lower links"] = () =>
        [
            UsrMerged().File("usr/bin/old", "old").File("usr/lib/stale", "stale").File("usr/lib/kept", "kept"),
            new TarBuilder().Whiteout("bin/.wh.old").Whiteout("lib/.wh..wh..opq").File("lib/fresh", "fresh"),
        ],
        ["hard links reach lower files, the layer's own, and replaced ones keep their bytes"] = () =>
        [
            UsrMerged().File("shared", "lower shared"),
            new TarBuilder()
                .HardLink("to-lower", "shared")
                .HardLink("sbin-busybox", "bin/busybox")
                .File("shared", "upper shared")
                .HardLink("to-upper", "shared")
                .File("mine", "mine")
                .HardLink("mine-too", "mine")
                .File("mine", "replaced"),
        ],
        ["files, directories and links replace one another; a directory over a directory merges"] = () =>
        [
            new TarBuilder().Directory("was-dir").File("was-dir/x", "x").File("was-file", "f").Directory("merged", "700").File("merged/lower", "l").Symlink("was-link", "merged"),
            new TarBuilder().File("was-dir", "now a file").Directory("was-file", "711", Later).File("was-file/in", "in").Directory("merged", "755", Later).File("merged/upper", "u").Directory("was-link"),
        ],
        ["an implicit parent keeps the lower directory's metadata, an explicit one brings its own"] = () =>
        [
            new TarBuilder().Directory("implicit", "700", Later).Directory("explicit", "700", Later),
            new TarBuilder().File("implicit/new", "n").Directory("explicit", "751").File("explicit/new", "n").File("fresh/parent/made", "m"),
        ],
        ["owners, modes and set-id bits"] = () =>
        [
            new TarBuilder().Add(Owned(TarEntryType.Directory, "home", 0, 0, "755")),
            new TarBuilder()
                .Add(Owned(TarEntryType.Directory, "home/user", 1000, 1000, "700"))
                .Add(Owned(TarEntryType.RegularFile, "home/user/secret", 1000, 42, "640", "s"))
                .Add(Owned(TarEntryType.RegularFile, "bin-su", 0, 0, "4755", "su"))
                .Add(new PaxTarEntry(TarEntryType.SymbolicLink, "home/user/link") { LinkName = "secret", Uid = 1000, Gid = 1000, ModificationTime = Later }),
        ],
        ["device nodes clear their path and hard links to them go with them"] = () =>
        [
            new TarBuilder().Directory("dev").File("dev/null", "a file before").File("dev/keep", "k"),
            new TarBuilder()
                .Add(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = TarBuilder.Mode("666") })
                .HardLink("dev/null-too", "dev/null")
                .Add(new PaxTarEntry(TarEntryType.Fifo, "dev/keep") { Mode = TarBuilder.Mode("600") }),
        ],
        ["three layers: the middle one hides, the top one brings back"] = () =>
        [
            new TarBuilder().Directory("etc").File("etc/a", "1").File("etc/b", "1").Directory("var").File("var/log", "1"),
            new TarBuilder().Whiteout("etc/.wh.a").Whiteout(".wh.var").File("etc/b", "2"),
            new TarBuilder().File("etc/a", "3").File("var/log", "3").HardLink("etc/b-link", "etc/b"),
        ],
        ["an entry under a lower file is refused"] = () =>
        [
            new TarBuilder().File("etc", "a file"),
            new TarBuilder().File("etc/passwd", "root"),
        ],
        ["a link that leaves the tree once placed through a lower link is refused"] = () =>
        [
            new TarBuilder().Directory("a").Symlink("a/b", ".."),
            new TarBuilder().Symlink("a/b/c/l", "../../x"),
        ],
        ["a hard link to nothing is refused"] = () =>
        [
            new TarBuilder().File("present", "p"),
            new TarBuilder().HardLink("link", "absent"),
        ],
        ["a hard link under a lower link's target that is a link itself"] = () =>
        [
            UsrMerged().Symlink("usr/bin/sh", "busybox"),
            new TarBuilder().HardLink("sh-again", "bin/sh"),
        ],
        ["a layer over the one-file limit is refused before any of it is applied"] = () =>
        [
            new TarBuilder().File("small", "s"),
            new TarBuilder().File("ok", "ok").File("big", new MemoryStream(new byte[5000])),
        ],
    };

    public static TheoryData<string> Names => [.. Stacks.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_layer_read_ahead_of_its_turn_ends_as_one_applied_in_its_turn(string name)
    {
        var layers = Stacks[name]().Select(b => b.ToTar()).ToArray();
        var limits = new ExtractionLimits { MaxFileBytes = 4096 };

        var inTurn = _temp.Combine("in-turn");
        Directory.CreateDirectory(inTurn);
        var expected = await OutcomeAsync(async () =>
        {
            var applier = new LayerApplier(limits);
            foreach (var layer in layers)
            {
                await applier.ApplyAsync(Descriptor.Create(layer, MediaTypes.ImageLayer), new MemoryStream(layer), inTurn);
            }
        });

        var ahead = _temp.Combine("ahead");
        Directory.CreateDirectory(ahead);
        var asides = new List<string>();
        var actual = await OutcomeAsync(async () =>
        {
            var applier = new LayerApplier(limits);
            // Every layer above the first is read before the first is applied, as the executor may.
            var staged = new List<LayerApplier.StagedLayer>();
            for (var i = 1; i < layers.Length; i++)
            {
                var aside = _temp.Combine($"aside-{i}");
                Directory.CreateDirectory(aside);
                asides.Add(aside);
                staged.Add(await applier.StageAsync(Descriptor.Create(layers[i], MediaTypes.ImageLayer), new MemoryStream(layers[i]), aside));
            }

            await applier.ApplyAsync(Descriptor.Create(layers[0], MediaTypes.ImageLayer), new MemoryStream(layers[0]), ahead);
            foreach (var layer in staged)
            {
                layer.ApplyTo(ahead);
            }
        });

        Assert.Equal(expected, actual);
        if (expected is null)
        {
            var differences = TreeComparison.Compare(inTurn, ahead, TreeComparisonExceptions.None);
            Assert.True(differences.Count == 0, TreeComparison.Describe(differences));
            Assert.All(asides, aside => Assert.Empty(Directory.EnumerateFileSystemEntries(aside)));
        }
    }

    [Fact]
    public async Task The_cases_cover_both_outcomes()
    {
        // The theory compares outcomes; a stack must really apply, or really fail, as its name says, for it to mean anything.
        foreach (var (name, stack) in Stacks)
        {
            var target = _temp.Combine(Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(target);
            var outcome = await OutcomeAsync(async () =>
            {
                foreach (var layer in stack().Select(b => b.ToTar()))
                {
                    await new LayerApplier(new ExtractionLimits { MaxFileBytes = 4096 }).ApplyAsync(Descriptor.Create(layer, MediaTypes.ImageLayer), new MemoryStream(layer), target);
                }
            });
            Assert.True(outcome is not null == name.Contains("refused", StringComparison.Ordinal), $"{name}: {outcome ?? "applied"}");
        }
    }

    [Fact]
    public async Task A_layer_read_ahead_is_applied_once()
    {
        var layer = new TarBuilder().File("a", "a").ToTar();
        var aside = _temp.Combine("aside");
        var target = _temp.Combine("target");
        Directory.CreateDirectory(aside);
        Directory.CreateDirectory(target);
        var staged = await new LayerApplier().StageAsync(Descriptor.Create(layer, MediaTypes.ImageLayer), new MemoryStream(layer), aside);

        var summary = staged.ApplyTo(target);

        Assert.Equal(1, summary.Entries);
        Assert.Equal(1, summary.FileBytes);
        Assert.Equal("a", File.ReadAllText(Path.Combine(target, "a")));
        var again = Assert.Throws<InvalidOperationException>(() => staged.ApplyTo(target));
        Assert.Equal($"layer {staged.Layer.Digest} was applied already", again.Message);
    }

    /// <summary>Null when <paramref name="apply"/> succeeds, else the exception's type and message.</summary>
    private static async Task<string?> OutcomeAsync(Func<Task> apply)
    {
        try
        {
            await apply();
            return null;
        }
        catch (LayerException e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
