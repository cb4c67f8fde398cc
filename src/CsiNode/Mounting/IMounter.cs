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
}
