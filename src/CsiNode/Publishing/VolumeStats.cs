namespace OrasAssemble.CsiNode.Publishing;

/// <summary>What a mounted tree holds: file bytes and entries (files, directories and links, the root included).</summary>
internal sealed record VolumeStats(long Bytes, long Inodes)
{
    public static VolumeStats Measure(string root)
    {
        long bytes = 0;
        long inodes = 1;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            inodes++;
            if (entry is FileInfo { LinkTarget: null } file)
            {
                bytes += file.Length;
            }
        }

        return new VolumeStats(bytes, inodes);
    }
}
