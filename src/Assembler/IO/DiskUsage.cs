namespace OrasAssemble.IO;

/// <summary>Disk use counted by inode, so a file hard-linked from several places is counted once.</summary>
internal static class DiskUsage
{
    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = 0,
        IgnoreInaccessible = true,
    };

    /// <summary>Disk bytes of everything under the directories that exist, each inode once.</summary>
    public static long DistinctBytes(IEnumerable<string> directories)
    {
        var seen = new HashSet<ulong>();
        long bytes = 0;
        foreach (var directory in directories.Where(Directory.Exists))
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory, "*", Everything))
            {
                if (FileIdentity.Read(path) is { } info && seen.Add(info.Inode))
                {
                    bytes += info.DiskBytes;
                }
            }
        }

        return bytes;
    }

    /// <summary>What deleting a tree frees: its entries, except files whose other links (blobs) keep them alive.</summary>
    public static long UniqueBytes(string tree)
    {
        long bytes = 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(tree, "*", Everything))
        {
            if (FileIdentity.Read(path) is { } info && (info.IsDirectory || info.Links == 1))
            {
                bytes += info.DiskBytes;
            }
        }

        return bytes;
    }
}
