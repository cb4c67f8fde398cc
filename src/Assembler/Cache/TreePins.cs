using System.Security.Cryptography;
using System.Text;
using OrasAssemble.IO;
using OrasAssemble.Oci;

namespace OrasAssemble.Cache;

/// <summary>
/// The cache's one pin table: what a spec or a reference last resolved to, so <c>IfNotPresent</c> keeps serving the
/// tree it gave (for a reference, after its tag moves) for as long as that tree is cached. One small file per pin,
/// named by the hash of the pin's name and replaced atomically; it holds the tree key, after the manifest digest when
/// there is one.
/// </summary>
public sealed class TreePins
{
    private readonly TreeCache _cache;

    internal TreePins(TreeCache cache, string directory)
    {
        _cache = cache;
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The pin named <paramref name="name"/>, when the tree it names is still cached.</summary>
    public TreePin? Find(string name)
    {
        string[] parts;
        try
        {
            parts = File.ReadAllText(FileFor(name)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var pin = parts switch
        {
            [var key] => new TreePin(key, null),
            [var digest, var key] when Digest.IsValid(digest) => new TreePin(key, digest),
            _ => null,
        };
        return pin is not null && TreeCache.IsKey(pin.TreeKey) && _cache.HasTree(pin.TreeKey) ? pin : null;
    }

    /// <summary>Records that <paramref name="name"/> resolved to the tree <paramref name="treeKey"/> (through <paramref name="digest"/>).</summary>
    public void Pin(string name, string treeKey, string? digest = null)
    {
        if (!TreeCache.IsKey(treeKey))
        {
            throw new ArgumentException($"invalid tree key {treeKey}", nameof(treeKey));
        }

        if (Find(name) == new TreePin(treeKey, digest))
        {
            return;
        }

        var text = digest is null ? treeKey : $"{digest} {treeKey}";
        AtomicFile.Write(FileFor(name), Encoding.UTF8.GetBytes(text), tempDirectory: _cache.TempDirectory);
    }

    private string FileFor(string name) => Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))));
}
