namespace OrasAssemble.Tests.TestSupport;

/// <summary>
/// The ways a tree the executor assembled may differ from the reference extraction on purpose. Each is a switch of
/// its own, so a test can turn off one exception once the executor no longer needs it and see what is left.
/// </summary>
internal sealed record TreeComparisonExceptions
{
    /// <summary>
    /// Setuid and setgid bits the reference has are cleared in the tree (the executor's default unless a spec allows
    /// setuid): the tree's mode is compared with the reference's without those two bits.
    /// </summary>
    public bool SetuidCleared { get; init; }

    /// <summary>
    /// An absolute link target in the reference (<c>/usr/lib/x</c>, meaning that path inside the image) is, in the
    /// tree, the relative target that names the same entry from where the link lies (<c>../usr/lib/x</c>).
    /// </summary>
    public bool AbsoluteLinksRewritten { get; init; }

    /// <summary>Device nodes, FIFOs and sockets the reference has are absent from the tree.</summary>
    public bool SpecialFilesSkipped { get; init; }

    /// <summary>Owners (uid and gid) are not compared.</summary>
    public bool OwnersIgnored { get; init; }

    /// <summary>Modification times are not compared.</summary>
    public bool MtimesIgnored { get; init; }

    /// <summary>Every difference counts.</summary>
    public static TreeComparisonExceptions None { get; } = new();

    /// <summary>
    /// Every exception: setuid/setgid cleared, absolute links rewritten, special files skipped, owners and
    /// modification times not compared. Tests turn off what they hold the executor to.
    /// </summary>
    public static TreeComparisonExceptions All { get; } = new()
    {
        SetuidCleared = true,
        AbsoluteLinksRewritten = true,
        SpecialFilesSkipped = true,
        OwnersIgnored = true,
        MtimesIgnored = true,
    };
}
