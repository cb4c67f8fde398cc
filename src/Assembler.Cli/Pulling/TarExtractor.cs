using System.Formats.Tar;
using OrasAssemble.Cli.IO;

namespace OrasAssemble.Cli.Pulling;

/// <summary>
/// Unpacks a folder layer's tar into a staging directory, refusing anything that could reach outside it: absolute
/// names, '..', entries outside the folder the layer is titled with, writes through symbolic links, links that lead
/// out of the folder, devices and FIFOs. Owners and set-id bits are not restored.
/// </summary>
internal static class TarExtractor
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;
    private const UnixFileMode DefaultDirectoryMode = (UnixFileMode)0x1ED; // 0755

    /// <param name="tar">The uncompressed tar.</param>
    /// <param name="stagingRoot">An empty directory to unpack into.</param>
    /// <param name="folder">The layer's title: every entry must be this folder or lie inside it.</param>
    /// <exception cref="UnsafeContentException">An entry is refused; the staging directory is then the caller's to remove.</exception>
    public static async Task ExtractAsync(Stream tar, string stagingRoot, string folder, CancellationToken cancellationToken)
    {
        var folderComponents = SafePaths.Components(folder);
        var directoryModes = new List<(string Path, UnixFileMode Mode)>();
        var links = new List<string>();
        Directory.CreateDirectory(Path.Combine(stagingRoot, Path.Combine([.. folderComponents])));

        var reader = new TarReader(tar, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                var relative = CheckedName(entry.Name, folderComponents);
                var path = Path.Combine(stagingRoot, relative);
                if (SafePaths.LinkOnPath(stagingRoot, relative) is { } through)
                {
                    throw new UnsafeContentException(
                        $"tar entry \"{entry.Name}\" would be written through the symbolic link {Path.GetRelativePath(stagingRoot, through)}");
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        RemoveUnlessDirectory(path);
                        Directory.CreateDirectory(path);
                        directoryModes.Add((path, entry.Mode & PermissionBits));
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        await WriteFileAsync(entry, path, cancellationToken).ConfigureAwait(false);
                        break;
                    case TarEntryType.SymbolicLink:
                        CreateLink(entry, relative, path, folderComponents);
                        links.Add(path);
                        break;
                    case TarEntryType.HardLink:
                        CopyHardLink(entry, stagingRoot, path, folderComponents);
                        break;
                    case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                        throw new UnsafeContentException($"tar entry \"{entry.Name}\" is a device or FIFO, which is never unpacked");
                    default:
                        throw new UnsafeContentException($"tar entry \"{entry.Name}\" has the unsupported type {entry.EntryType}");
                }
            }
        }

        foreach (var link in links)
        {
            EnsureLinkStaysInside(stagingRoot, folderComponents, link);
        }

        // Deepest first, and only after every file is in, so a read-only folder does not block its own contents.
        foreach (var (path, mode) in directoryModes.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(path, mode == 0 ? DefaultDirectoryMode : mode);
        }
    }

    /// <summary>The entry's path relative to the staging root, with OS separators, once it is known to be safe.</summary>
    private static string CheckedName(string name, IReadOnlyList<string> folder)
    {
        if (SafePaths.RelativeNameProblem(name) is { } problem)
        {
            throw new UnsafeContentException($"tar entry \"{name}\" is refused: {problem}");
        }

        var components = SafePaths.Components(name);
        if (components.Count < folder.Count || !components.Take(folder.Count).SequenceEqual(folder, StringComparer.Ordinal))
        {
            throw new UnsafeContentException($"tar entry \"{name}\" is refused: it lies outside the folder \"{string.Join('/', folder)}\" the layer unpacks to");
        }

        return Path.Combine([.. components]);
    }

    private static async Task WriteFileAsync(TarEntry entry, string path, CancellationToken cancellationToken)
    {
        RemoveIfPresent(entry, path);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = entry.Mode & PermissionBits,
        };
        var file = new FileStream(path, options);
        await using (file.ConfigureAwait(false))
        {
            if (entry.DataStream is { } data)
            {
                await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            // On disk before the folder is renamed into place, so a crash cannot leave a published but empty file.
            file.Flush(flushToDisk: true);
        }

        // The create mode went through the umask; the archive's bits are what the packer meant.
        File.SetUnixFileMode(path, entry.Mode & PermissionBits);
    }

    private static void CreateLink(TarEntry entry, string relative, string path, IReadOnlyList<string> folder)
    {
        var target = entry.LinkName;
        if (target.Length == 0 || target.StartsWith('/') || target.Contains('\0', StringComparison.Ordinal))
        {
            throw new UnsafeContentException($"tar entry \"{entry.Name}\" is refused: a symbolic link to \"{target}\" must be relative");
        }

        var parent = Path.GetDirectoryName(relative)?.Replace(Path.DirectorySeparatorChar, '/') ?? "";
        var resolved = SafePaths.ResolveLexically(parent, target);
        if (resolved is null || !IsInside(SafePaths.Components(resolved), folder))
        {
            throw new UnsafeContentException($"tar entry \"{entry.Name}\" is refused: its link to \"{target}\" leads out of the folder");
        }

        RemoveIfPresent(entry, path);
        File.CreateSymbolicLink(path, target);
    }

    // A hard link names an earlier entry of the archive; a copy of that file gives the same bytes without sharing an inode
    // with anything the archive does not own.
    private static void CopyHardLink(TarEntry entry, string stagingRoot, string path, IReadOnlyList<string> folder)
    {
        if (SafePaths.RelativeNameProblem(entry.LinkName) is { } problem)
        {
            throw new UnsafeContentException($"tar entry \"{entry.Name}\" is refused: its hard link target: {problem}");
        }

        var components = SafePaths.Components(entry.LinkName);
        var source = Path.Combine(stagingRoot, Path.Combine([.. components]));
        if (!IsInside(components, folder) || SafePaths.LinkOnPath(stagingRoot, Path.Combine([.. components])) is not null
            || new FileInfo(source).LinkTarget is not null || !File.Exists(source))
        {
            throw new UnsafeContentException($"tar entry \"{entry.Name}\" is refused: its hard link target \"{entry.LinkName}\" is not a file unpacked before it");
        }

        RemoveIfPresent(entry, path);
        File.Copy(source, path);
    }

    /// <summary>Follows the link (and any links it passes through) on disk: it must end inside the folder.</summary>
    private static void EnsureLinkStaysInside(string stagingRoot, IReadOnlyList<string> folder, string link)
    {
        var folderPath = Resolve(Path.GetFullPath(Path.Combine(stagingRoot, Path.Combine([.. folder]))), 0);
        var resolved = Resolve(Path.GetFullPath(link), 0);
        var relative = Path.GetRelativePath(folderPath, resolved);
        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new UnsafeContentException(
                $"symbolic link {Path.GetRelativePath(stagingRoot, link)} is refused: through other links it leads out of the folder");
        }
    }

    // Resolves symbolic links component by component as the kernel does: ".." climbs from where a link actually led,
    // not from how the path was spelled. A component that does not exist ends the walk.
    private static string Resolve(string path, int depth)
    {
        if (depth > 40)
        {
            throw new UnsafeContentException($"symbolic link loop at {path}");
        }

        var root = Path.GetPathRoot(path)!;
        var current = root;
        var components = path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < components.Length; i++)
        {
            var component = components[i];
            if (component == ".")
            {
                continue;
            }

            if (component == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Combine(current, component);
            var target = new FileInfo(next).LinkTarget;
            if (target is not null)
            {
                current = Resolve(Path.IsPathRooted(target) ? target : Path.Combine(current, target), depth + 1);
            }
            else if (File.Exists(next) || Directory.Exists(next))
            {
                current = next;
            }
            else
            {
                return Path.GetFullPath(Path.Combine([next, .. components[(i + 1)..]]));
            }
        }

        return current;
    }

    private static bool IsInside(IReadOnlyList<string> components, IReadOnlyList<string> folder) =>
        components.Count >= folder.Count && components.Take(folder.Count).SequenceEqual(folder, StringComparer.Ordinal);

    /// <summary>Makes room for a later entry of the same name, as tar does; a folder is never replaced by a file.</summary>
    private static void RemoveIfPresent(TarEntry entry, string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(path))
        {
            throw new UnsafeContentException($"tar entry \"{entry.Name}\" is refused: it would replace a folder");
        }
    }

    private static void RemoveUnlessDirectory(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
    }
}
