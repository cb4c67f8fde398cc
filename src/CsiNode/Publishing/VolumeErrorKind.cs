namespace OrasAssemble.CsiNode.Publishing;

/// <summary>Why a volume operation could not be done, in the terms the CSI spec gives each case a status for.</summary>
internal enum VolumeErrorKind
{
    /// <summary>The request is wrong and will stay wrong: fix the pod.</summary>
    InvalidRequest,

    /// <summary>The target already holds another volume.</summary>
    Conflict,

    /// <summary>Node policy forbids it.</summary>
    Refused,

    /// <summary>The content is still being prepared; the same call later will find it.</summary>
    Pending,

    /// <summary>No such volume at that path.</summary>
    NotPublished,

    /// <summary>The node could not do its part (a mount, a directory).</summary>
    NodeFailure,
}
