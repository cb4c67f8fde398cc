using System.Text;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>Folders with the things that tend to break packing: nesting, empty files and folders, unicode, modes, links.</summary>
public static class SampleTrees
{
    public const UnixFileMode Executable = (UnixFileMode)0x1ED; // 0755
    public const UnixFileMode ReadOnly = (UnixFileMode)0x124; // 0444

    /// <summary>Creates folder <paramref name="name"/> under <paramref name="parent"/> and returns its path.</summary>
    public static string Create(string parent, string name = "app")
    {
        var root = Path.Combine(parent, name);
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "conf", "nested", "deeper"));
        Directory.CreateDirectory(Path.Combine(root, "empty-folder"));
        Directory.CreateDirectory(Path.Combine(root, "ünïcødé 文件夹"));

        File.WriteAllText(Path.Combine(root, "bin", "start.sh"), "#!/bin/sh\necho started\n");
        File.SetUnixFileMode(Path.Combine(root, "bin", "start.sh"), Executable);
        File.WriteAllBytes(Path.Combine(root, "empty.txt"), []);
        File.WriteAllText(Path.Combine(root, "conf", "app.properties"), "greeting=hello\n");
        File.WriteAllText(Path.Combine(root, "conf", "nested", "deeper", "leaf.json"), "{\"leaf\":true}");
        File.WriteAllText(Path.Combine(root, "conf", "read-only.txt"), "do not touch\n");
        File.SetUnixFileMode(Path.Combine(root, "conf", "read-only.txt"), ReadOnly);
        File.WriteAllText(Path.Combine(root, "ünïcødé 文件夹", "naïve résumé.txt"), "ça marche\n", Encoding.UTF8);
        File.WriteAllBytes(Path.Combine(root, "random.bin"), Random(300_000, seed: 7));
        File.WriteAllText(Path.Combine(root, new string('l', 120) + ".txt"), "a name longer than a tar header holds\n");
        File.CreateSymbolicLink(Path.Combine(root, "bin", "run"), "start.sh");
        return root;
    }

    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
