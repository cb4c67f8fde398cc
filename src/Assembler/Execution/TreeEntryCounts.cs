using System.IO.Enumeration;

namespace OrasAssemble.Execution;

/// <summary>What a built tree holds, below its root: regular files (hard links each counted), directories and symbolic links.</summary>
public sealed record TreeEntryCounts(long Files, long Directories, long Links)
{
    /// <summary>Counts the entries below <paramref name="root"/> from the directory listings alone, following no link.</summary>
    internal static TreeEntryCounts Of(string root)
    {
        var (files, directories, links) = (0L, 0L, 0L);
        var entries = new FileSystemEnumerable<FileAttributes>(root, (ref FileSystemEntry entry) => entry.Attributes,
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false });
        foreach (var attributes in entries)
        {
            if (attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                links++;
            }
            else if (attributes.HasFlag(FileAttributes.Directory))
            {
                directories++;
            }
            else
            {
                files++;
            }
        }

        return new TreeEntryCounts(files, directories, links);
    }
}
