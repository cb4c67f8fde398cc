using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec;

/// <summary>A <see cref="CopyStep"/> ready to run.</summary>
/// <param name="Path">The path in the source, normalised (the root when the step names none).</param>
/// <param name="To">The tree path, normalised; <paramref name="IntoDirectory"/> when the spec wrote it ending in '/'.</param>
/// <param name="Mode">Permission bits for every file copied, with setuid and setgid cleared unless the spec allows them; null keeps the source's.</param>
/// <param name="Owner">Owner for every entry copied; null keeps the source's.</param>
/// <param name="CopyLinks">A link leading outside <paramref name="Path"/> is copied as what it points to (<c>links: copy</c>).</param>
internal sealed record ValidCopyStep(
    string From,
    string Path,
    IReadOnlyList<Glob> Include,
    IReadOnlyList<Glob> Exclude,
    string To,
    bool IntoDirectory,
    UnixFileMode? Mode,
    (uint Uid, uint Gid)? Owner,
    bool Overwrite,
    bool CopyLinks) : ValidStep(CopyStep.KindName);
