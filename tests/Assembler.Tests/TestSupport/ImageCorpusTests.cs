using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.Layout;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Containers;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>Each image of the corpus holds what it is in the corpus for, read from its layers' own bytes.</summary>
public sealed class ImageCorpusTests
{
    private const long MaxManifestBytes = 4 * 1024 * 1024;

    [Fact]
    public async Task Minbase_is_one_layer_with_device_nodes_usr_merge_links_hard_links_and_setuid_files()
    {
        var (_, layers) = await ReadAsync(ImageCorpus.Minbase);

        var layer = Assert.Single(layers);
        Assert.Equal(MediaTypes.ImageLayerGzip, layer.Descriptor.MediaType);
        var entries = await EntriesAsync(layer);
        var console = Assert.IsType<PosixTarEntry>(entries["./dev/console"], exactMatch: false);
        Assert.Equal(TarEntryType.CharacterDevice, console.EntryType);
        Assert.Equal((5, 1), (console.DeviceMajor, console.DeviceMinor));
        Assert.Equal((TarEntryType.SymbolicLink, "usr/bin"), (entries["./bin"].EntryType, entries["./bin"].LinkName));
        Assert.Equal((TarEntryType.HardLink, "./usr/bin/perl"), (entries["./usr/bin/perl5.36.0"].EntryType, entries["./usr/bin/perl5.36.0"].LinkName));
        Assert.True(entries["./usr/bin/passwd"].Mode.HasFlag(UnixFileMode.SetUser));
    }

    [Fact]
    public async Task Openjdk_and_python_are_minbase_s_own_layer_blob_and_one_layer_of_what_apt_installed()
    {
        var (_, minbase) = await ReadAsync(ImageCorpus.Minbase);
        var (_, openjdk) = await ReadAsync(ImageCorpus.Openjdk);
        var (_, python) = await ReadAsync(ImageCorpus.Python);

        Assert.Equal([minbase[0].Descriptor.Digest, minbase[0].Descriptor.Digest], [openjdk[0].Descriptor.Digest, python[0].Descriptor.Digest]);
        Assert.Equal(2, openjdk.Count);
        Assert.Equal(2, python.Count);
        var jre = await EntriesAsync(openjdk[1]);
        Assert.Contains(jre, e => e.Key.StartsWith("usr/lib/jvm/java-17-openjdk-", StringComparison.Ordinal) && e.Key.EndsWith("/bin/java", StringComparison.Ordinal)
            && e.Value.EntryType == TarEntryType.RegularFile);
        Assert.Equal((TarEntryType.SymbolicLink, true), (jre["etc/alternatives/java"].EntryType, jre["etc/alternatives/java"].LinkName.StartsWith('/')));
        Assert.Contains(jre.Keys, name => name.StartsWith("var/lib/apt/lists/.wh.", StringComparison.Ordinal));
        Assert.Contains((await EntriesAsync(python[1])).Keys, name => name.StartsWith("usr/lib/python3.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Openjdk_nodev_is_openjdk_without_the_device_nodes()
    {
        var (_, openjdk) = await ReadAsync(ImageCorpus.Openjdk);
        var (_, nodev) = await ReadAsync(ImageCorpus.OpenjdkNoDev);

        Assert.Equal(openjdk[1].Descriptor.Digest, nodev[1].Descriptor.Digest);
        var with = await EntriesAsync(openjdk[0]);
        var without = await EntriesAsync(nodev[0]);
        var devices = with.Where(e => e.Value.EntryType is TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo).Select(e => e.Key).ToList();
        Assert.Contains("./dev/null", devices);
        Assert.Equal(with.Keys.Except(devices), without.Keys);
    }

    [Fact]
    public async Task The_usrmerge_write_layer_puts_bin_x_where_minbase_has_the_link_bin_to_usr_bin()
    {
        var (_, layers) = await ReadAsync(ImageCorpus.UsrMergeWrite);

        Assert.Equal(2, layers.Count);
        var lower = await EntriesAsync(layers[0]);
        Assert.Equal((TarEntryType.SymbolicLink, "usr/bin"), (lower["./bin"].EntryType, lower["./bin"].LinkName));
        var upper = await EntriesAsync(layers[1]);
        Assert.Equal(["bin/x"], upper.Keys);
        Assert.Equal(TarEntryType.RegularFile, upper["bin/x"].EntryType);
    }

    [Fact]
    public async Task The_umoci_insert_layer_ends_right_after_its_file_s_data_without_padding_or_end_blocks()
    {
        var (_, layers) = await ReadAsync(ImageCorpus.UmociInsert);

        Assert.Equal(2, layers.Count);
        var tar = await DecompressAsync(layers[1]);
        var header = tar.AsSpan(0, 512);
        var name = Encoding.ASCII.GetString(header[..100]).TrimEnd('\0');
        var size = Convert.ToInt64(Encoding.ASCII.GetString(header[124..136]).Trim('\0', ' '), 8);
        Assert.Equal("etc/corpus/hello.txt", name);
        Assert.Equal("written by umoci insert\n", Encoding.ASCII.GetString(tar, 512, (int)size));
        // One header and the data, not rounded up to a 512-byte block, and no two zero blocks after it.
        Assert.NotEqual(0, size % 512);
        Assert.Equal(512 + size, tar.Length);
    }

    [Fact]
    public async Task The_zstd_image_is_openjdk_with_every_layer_compressed_by_zstd()
    {
        var (openjdkConfig, openjdk) = await ReadAsync(ImageCorpus.Openjdk);
        var (zstdConfig, zstd) = await ReadAsync(ImageCorpus.Zstd);

        Assert.Equal(openjdk.Count, zstd.Count);
        Assert.All(zstd, layer =>
        {
            Assert.Equal(MediaTypes.ImageLayerZstd, layer.Descriptor.MediaType);
            Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(layer.Path).AsSpan(0, 4)));
        });
        Assert.Equal(DiffIds(openjdkConfig), DiffIds(zstdConfig));
    }

    private static IReadOnlyList<string> DiffIds(JsonDocument config) =>
        config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()!).ToList();

    private static async Task<(JsonDocument Config, IReadOnlyList<Layer> Layers)> ReadAsync(string tag)
    {
        var image = await ImageCorpus.GetAsync(tag);
        using var store = await OciLayoutStore.OpenAsync(image.LayoutPath, new OciLayoutStoreOptions { CreateIfMissing = false });
        var manifest = OciJson.Deserialize<Manifest>(await store.FetchAllAsync(image.Manifest, MaxManifestBytes), $"manifest of {tag}");
        var config = JsonDocument.Parse(await store.FetchAllAsync(manifest.Config, MaxManifestBytes));
        var layers = manifest.Layers
            .Select(d => new Layer(d, Path.Combine(image.LayoutPath, "blobs", "sha256", Digest.Encoded(d.Digest))))
            .ToList();
        return (config, layers);
    }

    private static async Task<byte[]> DecompressAsync(Layer layer)
    {
        await using var gzip = new GZipStream(File.OpenRead(layer.Path), CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        await gzip.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    /// <summary>Every entry of a tar+gzip layer by name, as written (with any "./").</summary>
    private static async Task<Dictionary<string, TarEntry>> EntriesAsync(Layer layer)
    {
        var entries = new Dictionary<string, TarEntry>(StringComparer.Ordinal);
        await using var gzip = new GZipStream(File.OpenRead(layer.Path), CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            entries[entry.Name] = entry;
        }

        return entries;
    }

    private sealed record Layer(Descriptor Descriptor, string Path);
}
