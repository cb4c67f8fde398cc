using System.Formats.Tar;
using System.IO.Compression;

namespace OrasAssemble.Tests.Execution;

/// <summary>Builds layer blobs entry by entry, hostile ones included: TarWriter writes whatever names it is given.</summary>
internal sealed class TarBuilder
{
    public static readonly DateTimeOffset Time = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private readonly MemoryStream _tar = new();
    private readonly TarWriter _writer;

    public TarBuilder()
    {
        _writer = new TarWriter(_tar, TarEntryFormat.Pax, leaveOpen: true);
    }

    public static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public TarBuilder File(string name, string content, string mode = "644", DateTimeOffset? modified = null) =>
        File(name, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), mode, modified);

    public TarBuilder File(string name, Stream data, string mode = "644", DateTimeOffset? modified = null) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data, Mode = Mode(mode), ModificationTime = modified ?? Time });

    public TarBuilder Directory(string name, string mode = "755", DateTimeOffset? modified = null) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = Mode(mode), ModificationTime = modified ?? Time });

    public TarBuilder Symlink(string name, string target, DateTimeOffset? modified = null) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = Mode("777"), ModificationTime = modified ?? Time });

    public TarBuilder HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = Mode("644"), ModificationTime = Time });

    public TarBuilder Whiteout(string name) => File(name, "");

    public TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] ToTar()
    {
        _writer.Dispose();
        return _tar.ToArray();
    }

    public byte[] ToGzip() => Gzip(ToTar());

    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
