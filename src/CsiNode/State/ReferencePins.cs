using System.Security.Cryptography;
using System.Text;

namespace OrasAssemble.CsiNode.State;

/// <summary>
/// What each volume reference last resolved to on this node (manifest digest) and the tree it gave, so
/// <c>IfNotPresent</c> keeps serving what the node has after a tag moves, for as long as that tree is cached. One small
/// file per reference, replaced atomically.
/// </summary>
internal sealed class ReferencePins
{
    private readonly string _directory;

    public ReferencePins(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public (string Digest, string TreeKey)? Find(string reference)
    {
        try
        {
            var parts = File.ReadAllText(FileFor(reference)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 2 && Oci.Digest.IsValid(parts[0]) ? (parts[0], parts[1]) : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Pin(string reference, string digest, string treeKey)
    {
        if (Find(reference) == (digest, treeKey))
        {
            return;
        }

        var file = FileFor(reference);
        var temp = $"{file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, $"{digest} {treeKey}");
        File.Move(temp, file, overwrite: true);
    }

    private string FileFor(string reference) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference))));
}
