using System.Formats.Tar;
using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// Device nodes and FIFOs, which every image made from a rootfs tarball carries under <c>/dev</c>: left out of the
/// tree (it is mounted nodev anyway) and counted, never a reason to refuse the layer.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class SpecialFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static TarBuilder RootfsLayer() => new TarBuilder()
        .Directory("dev")
        .Add(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/console") { DeviceMajor = 5, DeviceMinor = 1, Mode = TarBuilder.Mode("600") })
        .Add(new PaxTarEntry(TarEntryType.BlockDevice, "dev/sda") { DeviceMajor = 8, DeviceMinor = 0, Mode = TarBuilder.Mode("660") })
        .Add(new PaxTarEntry(TarEntryType.Fifo, "dev/initctl") { Mode = TarBuilder.Mode("600") })
        .HardLink("dev/console-again", "dev/console")
        .Directory("etc")
        .File("etc/hostname", "node\n");

    [Fact]
    public async Task Device_nodes_fifos_and_links_to_them_are_left_out_and_counted()
    {
        var target = Directory.CreateDirectory(_temp.Combine("target")).FullName;
        var blob = RootfsLayer().ToTar();

        var summary = await new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), target);

        Assert.Equal(4, summary.SkippedSpecialFiles);
        Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["dev"] = "dir 0755",
            ["etc"] = "dir 0755",
            ["etc/hostname"] = "file 0644 node\n",
        }, TreeSnapshot.Take(target));
    }

    [Fact]
    public async Task A_device_replaces_what_a_lower_layer_had_at_its_path()
    {
        var target = Directory.CreateDirectory(_temp.Combine("target")).FullName;
        var lower = new TarBuilder().Directory("dev").File("dev/null", "a plain file").ToTar();
        var upper = new TarBuilder().Add(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3 }).ToTar();

        await new LayerApplier().ApplyAsync(Descriptor.Create(lower, MediaTypes.ImageLayer), new MemoryStream(lower), target);
        await new LayerApplier().ApplyAsync(Descriptor.Create(upper, MediaTypes.ImageLayer), new MemoryStream(upper), target);

        Assert.False(File.Exists(Path.Combine(target, "dev", "null")));
    }

    [Fact]
    public async Task A_spec_over_a_rootfs_image_assembles_and_says_how_many_entries_it_left_out()
    {
        var store = new MemoryStore();
        await ContentBuilder.PushImageAsync(store, "registry.example/rootfs:1", RootfsLayer());
        var spec = SpecDocument.Load("""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: test }
            sources:
              os: { ref: registry.example/rootfs:1 }
            steps:
              - copy: { from: os, path: /etc, to: /etc }
            """).GetValidSpec("test.yaml");
        var progress = new List<string>();
        var executor = new SpecExecutor(
            TreeCache.Open(new CacheOptions { Root = _temp.Combine("cache") }),
            new StoreTargetLocator(store, "memory"),
            new ExecutorOptions { DefaultPlatform = Platform.Parse("linux/amd64"), Progress = progress.Add });

        var tree = await executor.AssembleAsync(spec);

        Assert.Equal(4, tree.SkippedSpecialFiles);
        Assert.Contains("sources.os: left out 4 device node(s) and FIFO(s)", progress);
        Assert.Equal("file 0644 node\n", TreeSnapshot.Take(tree.Path)["etc/hostname"]);
    }
}
