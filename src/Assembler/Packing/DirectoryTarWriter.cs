using System.Formats.Tar;
using System.Runtime.Versioning;

namespace OrasAssemble.Packing;

/// <summary>
/// Writes a folder as a reproducible tar: entries sorted by name, every entry named under the folder's own name
/// (as ORAS does, so unpacking recreates the folder), and nothing that varies between machines or runs — fixed
/// times, owner 0:0 without names. Only permission bits are kept, so executables stay executable.
/// </summary>
/// <remarks>
/// GNU format, not PAX: .NET names every PAX extended header after the writing process's id, so the same folder
/// would give different bytes in every run. GNU long-name entries have a fixed name, and every tar reader in use
/// (Go's archive/tar behind oras, GNU tar, busybox) reads them.
/// </remarks>
[UnsupportedOSPlatform("windows")]
public static class DirectoryTarWriter
{
    /// <summary>The time stamps of every entry: the Unix epoch, which the header holds exactly.</summary>
    public static DateTimeOffset FixedModificationTime { get; } = DateTimeOffset.UnixEpoch;

    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;

    /// <returns>The entries left out (with <see cref="FolderPackOptions.SkipSpecialFiles"/>), named as in the tar.</returns>
    /// <exception cref="PackingException">The folder holds something that cannot be packed under <paramref name="options"/>.</exception>
    public static async Task<IReadOnlyList<string>> WriteAsync(
        string directory, string name, Stream output, FolderPackOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var skipped = new List<string>();
        var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            await WriteDirectoryAsync(new Walk(writer, directory, options, skipped), directory, name, cancellationToken).ConfigureAwait(false);
        }

        return skipped;
    }

    private sealed record Walk(TarWriter Writer, string Root, FolderPackOptions Options, List<string> Skipped);

    private static async Task WriteDirectoryAsync(Walk walk, string directory, string entryName, CancellationToken cancellationToken)
    {
        var writer = walk.Writer;
        await writer.WriteEntryAsync(NewEntry(TarEntryType.Directory, entryName + "/", directory), cancellationToken).ConfigureAwait(false);

        // Ordinal order of the names, independent of the file system's own listing order and of culture.
        var children = Directory.EnumerateFileSystemEntries(directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal);
        foreach (var child in children)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(directory, child);
            var childName = entryName + "/" + child;
            switch (FileKindProbe.Probe(path))
            {
                case FileKind.Directory:
                    await WriteDirectoryAsync(walk, path, childName, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.SymbolicLink:
                    // A link's own mode means nothing on Linux, and reading it would follow the link: use 0777 as tar does.
                    var link = NewEntry(TarEntryType.SymbolicLink, childName, path, PermissionBits);
                    link.LinkName = walk.Options.KeepAnyLink ? new FileInfo(path).LinkTarget! : CheckedLinkTarget(walk.Root, path);
                    await writer.WriteEntryAsync(link, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.RegularFile:
                    await WriteFileAsync(writer, path, childName, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.Special when walk.Options.SkipSpecialFiles:
                    walk.Skipped.Add(childName);
                    break;
                default:
                    throw new PackingException($"{path}: only regular files, folders and symbolic links can be packed (this is a FIFO, socket or device)");
            }
        }
    }

    private static async Task WriteFileAsync(TarWriter writer, string path, string entryName, CancellationToken cancellationToken)
    {
        var entry = NewEntry(TarEntryType.RegularFile, entryName, path);
        var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (content.ConfigureAwait(false))
        {
            entry.DataStream = content;
            await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        }
    }

    private static GnuTarEntry NewEntry(TarEntryType type, string name, string path, UnixFileMode? mode = null) => new(type, name)
    {
        Mode = mode ?? File.GetUnixFileMode(path) & PermissionBits,
        ModificationTime = FixedModificationTime,
        AccessTime = FixedModificationTime,
        ChangeTime = FixedModificationTime,
        Uid = 0,
        Gid = 0,
        UserName = "",
        GroupName = "",
    };

    /// <summary>The link's target, refused when it is absolute or leads out of the packed folder.</summary>
    private static string CheckedLinkTarget(string root, string link)
    {
        var target = new FileInfo(link).LinkTarget!;
        if (Path.IsPathRooted(target))
        {
            throw new PackingException($"{link}: symbolic link to the absolute path {target} cannot be packed; links must stay inside the folder");
        }

        var relativeDirectory = Path.GetRelativePath(root, Path.GetDirectoryName(link)!);
        if (ResolveLexically(relativeDirectory == "." ? "" : relativeDirectory, target) is null)
        {
            throw new PackingException($"{link}: symbolic link to {target} leads out of the folder and cannot be packed");
        }

        return target;
    }

    /// <summary>
    /// Where a relative link target leads from <paramref name="directory"/> (both relative to the same root), by name
    /// alone: '/'-separated, "" for the root itself, or null when it climbs above the root.
    /// </summary>
    private static string? ResolveLexically(string directory, string target)
    {
        var stack = directory.Replace(Path.DirectorySeparatorChar, '/').Split('/').Where(c => c.Length > 0 && c != ".").ToList();
        foreach (var component in target.Split('/'))
        {
            if (component.Length == 0 || component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                if (stack.Count == 0)
                {
                    return null;
                }

                stack.RemoveAt(stack.Count - 1);
            }
            else
            {
                stack.Add(component);
            }
        }

        return string.Join('/', stack);
    }
}
