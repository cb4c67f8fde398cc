namespace OrasAssemble.Registry.Remote;

/// <summary>Why a mirror was passed over; the names are the <c>reason</c> label of the mirror failure metric.</summary>
public enum MirrorFailureReason
{
    /// <summary>The mirror answered 404: it does not have the content (normal for a peer-to-peer mirror).</summary>
    NotFound,

    /// <summary>The mirror answered another error status (5xx, 401, 403, …).</summary>
    Status,

    /// <summary>The connection failed or broke (refused, reset, TLS, DNS).</summary>
    Unreachable,

    /// <summary>No response headers within the mirror's <c>mirrorTimeout</c>.</summary>
    Timeout,

    /// <summary>The mirror sent bytes that are not the content asked for (digest or size mismatch).</summary>
    Mismatch,
}
