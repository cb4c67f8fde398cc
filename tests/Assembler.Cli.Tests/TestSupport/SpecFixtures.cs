using System.Formats.Tar;
using System.Text;
using OrasAssemble.Content;
using OrasAssemble.Oci;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>What assembly spec tests build on: a small base image behind an index, and spec files naming content.</summary>
public static class SpecFixtures
{
    /// <summary>Pushes a one-layer linux/amd64 image and an index over it, tagged; returns the index descriptor.</summary>
    public static async Task<Descriptor> PushBaseIndexAsync(ITarget repository, string tag)
    {
        var layer = await repository.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(new byte[1024]));
        var config = await PushConfigAsync(repository);
        var image = await repository.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
        var index = await repository.PushBytesAsync(MediaTypes.ImageIndex, OciJson.Serialize(new Oci.Index
        {
            Manifests = [image with { Platform = new Platform { Os = "linux", Architecture = "amd64" } }],
        }));
        await repository.TagAsync(index, tag);
        return index;
    }

    /// <summary>Pushes a one-layer image (not an index, so no platform is chosen) holding these files, tagged.</summary>
    public static async Task<Descriptor> PushImageAsync(ITarget repository, string tag, params (string Name, string Content, UnixFileMode Mode)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var directory in files.Select(f => Path.GetDirectoryName(f.Name)!).Where(d => d.Length > 0).Distinct())
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, directory + "/") { Mode = (UnixFileMode)0x1ED });
            }

            foreach (var (name, content, mode) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        var layer = await repository.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(tar.ToArray()));
        var config = await PushConfigAsync(repository);
        var image = await repository.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
        await repository.TagAsync(image, tag);
        return image;
    }

    /// <summary>
    /// Pushes a one-layer image whose config states <paramref name="platform"/> (<c>os/arch[/variant]</c>), tagged; the
    /// layer holds <paramref name="marker"/>, so images with different markers have different digests.
    /// </summary>
    public static async Task<Descriptor> PushPlatformImageAsync(ITarget repository, string tag, string platform, string marker)
    {
        var parsed = Platform.Parse(platform);
        var layer = await repository.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(Encoding.UTF8.GetBytes(marker)));
        var variant = parsed.Variant is null ? "" : $",\"variant\":\"{parsed.Variant}\"";
        var config = await repository.PushBytesAsync(MediaTypes.ImageConfig, Encoding.UTF8.GetBytes(
            $"{{\"architecture\":\"{parsed.Architecture}\",\"os\":\"{parsed.Os}\"{variant},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"config\":{{}}}}"));
        var image = await repository.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
        await repository.TagAsync(image, tag);
        return image;
    }

    /// <summary>Pushes a one-layer image of the given tar, tagged.</summary>
    public static async Task<Descriptor> PushTarImageAsync(ITarget repository, string tag, byte[] tar)
    {
        var layer = await repository.PushBytesAsync(MediaTypes.ImageLayerGzip, TestBlobs.Gzip(tar));
        var config = await PushConfigAsync(repository);
        var image = await repository.PushBytesAsync(MediaTypes.ImageManifest, OciJson.Serialize(new Manifest { Config = config, Layers = [layer] }));
        await repository.TagAsync(image, tag);
        return image;
    }

    private static Task<Descriptor> PushConfigAsync(ITarget repository) => repository.PushBytesAsync(MediaTypes.ImageConfig,
        """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"""u8.ToArray());

    /// <summary>Writes <paramref name="yaml"/> as <c>assembly.yaml</c> in <paramref name="directory"/> and returns its path.</summary>
    public static string WriteSpec(string directory, string yaml, string name = "assembly.yaml")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, yaml, new UTF8Encoding(false));
        return path;
    }
}
