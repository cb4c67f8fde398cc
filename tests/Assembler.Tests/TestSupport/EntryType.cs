namespace OrasAssemble.Tests.TestSupport;

/// <summary>The file type bits of an lstat mode.</summary>
internal enum EntryType
{
    File,
    Directory,
    Symlink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
}
