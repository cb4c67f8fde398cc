namespace OrasAssemble.Packing;

/// <summary>What a directory entry is, without following a symbolic link.</summary>
public enum FileKind
{
    RegularFile,
    Directory,
    SymbolicLink,

    /// <summary>A FIFO, socket or device: nothing that can go into an artifact.</summary>
    Special,
}
