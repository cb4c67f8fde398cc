using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Settings;

namespace OrasAssemble.Registry.Remote;

public sealed record RegistryClientOptions
{
    /// <summary>Credentials per registry; anonymous when null.</summary>
    public ICredentialProvider? Credentials { get; init; }

    /// <summary>Per-host settings: plain HTTP, skip TLS verification, mirrors to fetch content by digest from first.</summary>
    public HostSettings Hosts { get; init; } = HostSettings.Empty;

    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Replaces the network stack, e.g. with an in-process server; TLS settings then do not apply.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public string UserAgent { get; init; } = "oras-assemble/1";

    /// <summary>Manifests larger than this are refused before they are read (distribution's own limit is 4 MiB).</summary>
    public long MaxManifestBytes { get; init; } = OciLimits.MaxManifestBytes;

    /// <summary>Blobs up to this size go up in one PUT; larger ones in PATCH chunks of <see cref="ChunkSize"/>.</summary>
    public long MonolithicUploadLimit { get; init; } = 64 * 1024 * 1024;

    public int ChunkSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>How many times a blob download resumes with <c>Range</c> after the connection drops.</summary>
    public int MaxResumes { get; init; } = 5;

    /// <summary>Upper bound of concurrent connections to one registry host.</summary>
    public int MaxConnectionsPerServer { get; init; } = 16;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Time allowed to receive response headers, per attempt; for an upload, from when its body is sent
    /// (<c>transfer.responseTimeout</c>).
    /// </summary>
    public TimeSpan ResponseTimeout { get; init; } = TransferSettings.Default.ResponseTimeout;

    /// <summary>
    /// Time any response body (blob, manifest, token, error) may go without a byte before the read is abandoned;
    /// a blob then resumes with <c>Range</c>, a manifest is asked for again. An upload whose body the registry stops
    /// taking fails the same way (<c>transfer.idleTimeout</c>).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TransferSettings.Default.IdleTimeout;

    /// <summary>
    /// Told of every retry before its pause (a timeout, a dropped connection, a transient status), so a host can
    /// log it; called on the thread that retries, and must not throw.
    /// </summary>
    public Action<RegistryRetry>? Retrying { get; init; }

    /// <summary>
    /// Told of every mirror passed over for a request (unreachable, an error status, its timeout, wrong bytes) before
    /// the next mirror or the registry is asked, so a host can log it; must not throw.
    /// </summary>
    public Action<MirrorFailure>? MirrorFailed { get; init; }

    /// <summary>These options with the <c>transfer:</c> section's timeouts.</summary>
    public RegistryClientOptions WithTransfer(TransferSettings transfer) =>
        this with { ResponseTimeout = transfer.ResponseTimeout, IdleTimeout = transfer.IdleTimeout };
}
