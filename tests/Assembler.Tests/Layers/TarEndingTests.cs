using System.Runtime.Versioning;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Layers;

/// <summary>
/// How a tar may end. Some writers (umoci insert among them) stop right after the last entry's data, without its
/// padding to 512 bytes and without the two zero blocks that end an archive; Go-based runtimes read such layers, so
/// they are read here too. An entry whose data is cut short is still an error.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class TarEndingTests : IDisposable
{
    private const int Block = 512;

    private readonly TempDirectory _temp = new();
    private readonly string _target;

    public TarEndingTests()
    {
        _target = _temp.Combine("target");
        Directory.CreateDirectory(_target);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>A tar of a directory and two files, and where the last file's data ends.</summary>
    private static (byte[] Tar, int DataEnd) TarEndingIn(string lastContent)
    {
        var tar = new TarBuilder().Directory("etc").File("etc/first", "first").File("etc/last", lastContent).ToTar();

        // The archive ends with the last file's data, its padding, then two zero blocks.
        var dataEnd = tar.Length - (2 * Block) - PaddingOf(lastContent.Length);
        Assert.Equal(lastContent, System.Text.Encoding.ASCII.GetString(tar, dataEnd - lastContent.Length, lastContent.Length));
        return (tar, dataEnd);
    }

    private static int PaddingOf(int length) => (Block - (length % Block)) % Block;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tar_that_stops_right_after_the_last_entry_data_is_read_whole(bool gzip)
    {
        var (tar, dataEnd) = TarEndingIn("last line\n");
        var cut = tar[..dataEnd];
        var blob = gzip ? TarBuilder.Gzip(cut) : cut;

        var summary = await ApplyAsync(blob);

        var snapshot = TreeSnapshot.Take(_target);
        Assert.Equal("file 0644 first", snapshot["etc/first"]);
        Assert.Equal("file 0644 last line\n", snapshot["etc/last"]);
        Assert.Equal(3, summary.Entries);
    }

    [Fact]
    public async Task A_tar_with_padding_but_no_end_blocks_is_read_whole()
    {
        var (tar, dataEnd) = TarEndingIn("last");

        await ApplyAsync(tar[..(dataEnd + PaddingOf(4))]);

        Assert.Equal("file 0644 last", TreeSnapshot.Take(_target)["etc/last"]);
    }

    [Fact]
    public async Task A_tar_whose_last_data_block_is_full_and_has_no_end_blocks_is_read_whole()
    {
        var content = new string('x', Block);
        var (tar, dataEnd) = TarEndingIn(content);

        await ApplyAsync(tar[..dataEnd]);

        Assert.Equal(content, File.ReadAllText(Path.Combine(_target, "etc", "last")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task An_entry_whose_data_is_cut_short_is_still_an_error(int missing)
    {
        var (tar, dataEnd) = TarEndingIn("last line\n");
        var blob = tar[..(dataEnd - missing)];

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.Equal($"layer {Digest.ComputeSha256(blob)}, entry \"etc/last\": the tar data ends in the middle of an entry", e.Message);
    }

    [Fact]
    public async Task A_header_cut_short_is_still_an_error()
    {
        var (tar, dataEnd) = TarEndingIn("last");

        // A third file's header, cut in the middle.
        byte[] blob = [.. tar[..(dataEnd + PaddingOf(4))], .. new TarBuilder().File("etc/more", "more").ToTar()[..100]];

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.EndsWith("the tar data ends in the middle of an entry", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tar_cut_after_a_pax_header_of_the_next_entry_is_still_an_error()
    {
        // Every entry here has a pax extended header (one block, and its records in one more) before its own header.
        var first = new TarBuilder().File("a", "x").ToTar();
        var both = new TarBuilder().File("a", "x").File("b", "the entry whose header never comes").ToTar();
        var firstEnd = first.Length - (2 * Block);
        var blob = both[..(firstEnd + (2 * Block))];
        Assert.Equal((byte)'x', blob[firstEnd + 156]);

        var e = await Assert.ThrowsAsync<InvalidLayerException>(() => ApplyAsync(blob));

        Assert.EndsWith("the tar data ends in the middle of an entry", e.Message, StringComparison.Ordinal);
    }

    private Task<ExtractionSummary> ApplyAsync(byte[] blob) =>
        new LayerApplier().ApplyAsync(Descriptor.Create(blob, MediaTypes.ImageLayer), new MemoryStream(blob), _target);
}
