namespace OrasAssemble.Layers;

internal static class DiskEntry
{
    /// <summary>lstat: a link is reported as a link, whatever it points to.</summary>
    public static EntryKind Probe(string fullPath)
    {
        FileAttributes attributes;
        try
        {
            attributes = File.GetAttributes(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return EntryKind.Missing;
        }

        // The directory flag of a link is its target's, hence the link test first.
        if ((attributes & FileAttributes.ReparsePoint) != 0)
        {
            return EntryKind.Symlink;
        }

        return (attributes & FileAttributes.Directory) != 0 ? EntryKind.Directory : EntryKind.File;
    }
}
