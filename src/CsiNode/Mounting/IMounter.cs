namespace OrasAssemble.CsiNode.Mounting;

/// <summary>The mount operations the node plugin needs; a fake stands in where the logic, not the kernel, is tested.</summary>
internal interface IMounter
{
    /// <summary>Makes <paramref name="source"/> appear read-only at <paramref name="target"/>, an existing directory.</summary>
    /// <exception cref="IOException">The kernel refused; nothing stays mounted.</exception>
    void BindReadOnly(string source, string target);

    /// <summary>Makes <paramref name="source"/> appear writable at <paramref name="target"/> (without set-id programs or devices).</summary>
    /// <exception cref="IOException">The kernel refused; nothing stays mounted.</exception>
    void BindWritable(string source, string target);

    /// <summary>Removes the mount at <paramref name="target"/>; nothing mounted there is not an error.</summary>
    void Unmount(string target);

    /// <summary>Every mount point in this process's mount namespace, as absolute paths.</summary>
    IReadOnlySet<string> MountPoints();

    /// <summary>
    /// Every mount point, as absolute paths, with the directory mounted there as the path within its own file system
    /// (for a bind of a cache tree, one ending in <c>trees/&lt;key&gt;</c>). The topmost of stacked mounts wins.
    /// </summary>
    IReadOnlyDictionary<string, string> MountRoots();

    /// <summary>Whether something is mounted at <paramref name="path"/> itself; a path that does not exist is not.</summary>
    /// <remarks>What a publish asks about its one target, without reading the whole mount table.</remarks>
    bool IsMountPoint(string path);
}
