using System.Diagnostics;
using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>zstd layers as containerd and podman pull them, compressed by the real <c>zstd</c> tool.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class ZstdLayerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _target;

    public ZstdLayerTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(MediaTypes.ImageLayerZstd)]
    [InlineData("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")]
    [InlineData(MediaTypes.ImageLayer)]
    public async Task A_zstd_layer_is_applied_like_a_gzip_one_whatever_its_label(string mediaType)
    {
        var tar = new TarBuilder().Directory("bin").File("bin/tool", "tool bytes", "755").Symlink("bin/alias", "tool").ToTar();
        var blob = await ZstdAsync(tar);

        var summary = await new LayerApplier().ApplyAsync(Descriptor.Create(blob, mediaType), new MemoryStream(blob), _target);

        var snapshot = TreeSnapshot.Take(_target);
        Assert.Equal("file 0755 tool bytes", snapshot["bin/tool"]);
        Assert.Equal("link -> tool", snapshot["bin/alias"]);
        Assert.Equal(tar.Length, summary.ArchiveBytes);
    }

    [Fact]
    public async Task A_zstd_layer_in_several_frames_is_read_to_its_end()
    {
        // zstd may write a stream as concatenated frames (pzstd, --rsyncable writers): all of them are the layer.
        var tar = new TarBuilder().File("a", "first").ToTar();
        var first = await ZstdAsync(tar[..1024]);
        var second = await ZstdAsync(tar[1024..]);
        byte[] blob = [.. first, .. second];

        await new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerZstd), new MemoryStream(blob), _target);

        Assert.Equal("file 0644 first", TreeSnapshot.Take(_target)["a"]);
    }

    [Fact]
    public async Task A_zstd_bomb_stops_at_the_layer_bound()
    {
        // 64 MiB of zeros compress to a few kilobytes.
        var tar = new TarBuilder().File("zeros", new MemoryStream(new byte[64 * 1024 * 1024])).ToTar();
        var blob = await ZstdAsync(tar, "-19");
        Assert.True(blob.Length < 64 * 1024, $"{blob.Length} bytes");

        var e = await Assert.ThrowsAsync<UnsafeLayerException>(() => new LayerApplier(new ExtractionLimits { MaxTotalBytes = 1024 * 1024 })
            .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerZstd), new MemoryStream(blob), _target));

        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"zeros\": the layer expands to more than 1048576 bytes", e.Message);
    }

    [Fact]
    public async Task A_zstd_frame_that_asks_for_a_huge_window_is_refused_as_corrupt()
    {
        // --long=31 makes the frame declare a 2 GiB window; a decoder honouring it would need that much memory.
        var tar = new TarBuilder().File("data", new MemoryStream(new byte[1024 * 1024])).ToTar();
        var blob = await ZstdAsync(tar, "--long=31", "--no-check", "--stream-size=0");

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => new LayerApplier()
            .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerZstd), new MemoryStream(blob), _target));

        Assert.StartsWith($"layer {Digest.ComputeSha256(blob)}: the compressed data is corrupt: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damaged_zstd_data_is_an_invalid_layer()
    {
        // The frame ends with a checksum of the content (zstd writes one by default): damage it, and only it.
        var blob = await ZstdAsync(new TarBuilder().File("a", new string('a', 100_000) + "tail").ToTar());
        blob[^1] ^= 0x5a;

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => new LayerApplier()
            .ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayerZstd), new MemoryStream(blob), _target));

        Assert.StartsWith($"layer {Digest.ComputeSha256(blob)}: the compressed data is corrupt: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ORAS_directory_layer_compressed_with_zstd_is_unpacked()
    {
        var blob = await ZstdAsync(new TarBuilder().Directory("site").File("site/index.html", "<h1>hi</h1>").ToTar());
        var layer = Descriptor.Create(blob, "application/vnd.oci.image.layer.v1.tar+zstd") with
        {
            Annotations = new Dictionary<string, string> { [Annotations.Title] = "site", [Annotations.Unpack] = "true" },
        };

        await new ArtifactLayerWriter().WriteAsync(layer, new MemoryStream(blob), _target);

        Assert.Equal("file 0644 <h1>hi</h1>", TreeSnapshot.Take(_target)["site/index.html"]);
    }

    private static async Task<byte[]> ZstdAsync(byte[] data, params string[] options)
    {
        var start = new ProcessStartInfo("zstd", ["-q", "-c", .. options, "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var zstd = Process.Start(start)!;
        var output = new MemoryStream();
        var reading = zstd.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = zstd.StandardError.ReadToEndAsync();
        await zstd.StandardInput.BaseStream.WriteAsync(data);
        zstd.StandardInput.Close();
        await reading;
        await zstd.WaitForExitAsync();
        Assert.True(zstd.ExitCode == 0, await errors);
        return output.ToArray();
    }
}
