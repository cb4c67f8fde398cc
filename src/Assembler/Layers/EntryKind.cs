namespace OrasAssemble.Layers;

/// <summary>What is at a path on disk, seen without following a symbolic link at the path itself.</summary>
internal enum EntryKind
{
    Missing,
    Directory,
    File,
    Symlink,
}
