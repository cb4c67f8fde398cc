using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrasAssemble.Webhook.Logging;
using OrasAssemble.Webhook.Metrics;

namespace OrasAssemble.Webhook.Tls;

/// <summary>
/// Serves the certificate in a pair of PEM files and picks up new contents when they change, as when a
/// Kubernetes secret volume is updated or cert-manager renews the certificate. The files are compared by content
/// (at most once per check interval, on a handshake or a readiness probe), which catches in-place writes,
/// renames and the symbolic-link swaps of secret volumes alike. A pair that does not load (one file written,
/// the other not yet) is ignored and retried; the previous certificate stays in use meanwhile.
/// </summary>
internal sealed class CertificateReloader
{
    private readonly string certificateFile;
    private readonly string keyFile;
    private readonly TimeProvider time;
    private readonly TimeSpan checkInterval;
    private readonly WebhookMetrics metrics;
    private readonly ILogger<CertificateReloader> logger;
    private readonly Lock gate = new();
    private ServingCertificate current;
    private byte[] currentFingerprint;
    private byte[]? failedFingerprint;
    private string? lastFailure;
    private long nextCheck;

    private CertificateReloader(
        string certificateFile, string keyFile, ServingCertificate current, byte[] fingerprint,
        TimeProvider time, TimeSpan checkInterval, WebhookMetrics metrics, ILogger<CertificateReloader> logger)
    {
        this.certificateFile = certificateFile;
        this.keyFile = keyFile;
        this.current = current;
        currentFingerprint = fingerprint;
        this.time = time;
        this.checkInterval = checkInterval;
        this.metrics = metrics;
        this.logger = logger;
        nextCheck = time.GetTimestamp() + Ticks(checkInterval);
        logger.CertificateLoaded(current.Certificate.Subject, current.NotAfter, current.Thumbprint);
    }

    /// <summary>Loads the pair once; failing here stops start-up, since the webhook cannot serve without it.</summary>
    /// <exception cref="CertificateLoadException">A file is missing or unreadable, or the pair does not load.</exception>
    public static CertificateReloader Load(
        string certificateFile, string keyFile, TimeProvider time, TimeSpan checkInterval, WebhookMetrics metrics, ILogger<CertificateReloader> logger)
    {
        var (certificatePem, keyPem) = Read(certificateFile, keyFile);
        var certificate = ServingCertificate.FromPem(certificatePem, keyPem, certificateFile, keyFile);
        return new CertificateReloader(certificateFile, keyFile, certificate, Fingerprint(certificatePem, keyPem), time, checkInterval, metrics, logger);
    }

    /// <summary>The certificate to present now, reloaded first if the files changed since the last check.</summary>
    public ServingCertificate Current
    {
        get
        {
            var now = time.GetTimestamp();
            if (now >= Interlocked.Read(ref nextCheck))
            {
                Check(now);
            }

            return Volatile.Read(ref current);
        }
    }

    private void Check(long now)
    {
        lock (gate)
        {
            if (now < nextCheck)
            {
                return;
            }

            Interlocked.Exchange(ref nextCheck, now + Ticks(checkInterval));
            string certificatePem;
            string keyPem;
            try
            {
                (certificatePem, keyPem) = Read(certificateFile, keyFile);
            }
            catch (CertificateLoadException e)
            {
                Failed(null, e.Message);
                return;
            }

            var fingerprint = Fingerprint(certificatePem, keyPem);
            if (fingerprint.AsSpan().SequenceEqual(currentFingerprint) || fingerprint.AsSpan().SequenceEqual(failedFingerprint))
            {
                return;
            }

            try
            {
                var loaded = ServingCertificate.FromPem(certificatePem, keyPem, certificateFile, keyFile);
                Volatile.Write(ref current, loaded);
                currentFingerprint = fingerprint;
                failedFingerprint = null;
                lastFailure = null;
                metrics.CertificateReloaded(succeeded: true);
                logger.CertificateLoaded(loaded.Certificate.Subject, loaded.NotAfter, loaded.Thumbprint);
            }
            catch (CertificateLoadException e)
            {
                Failed(fingerprint, e.Message);
            }
        }
    }

    // One log line and one count per bad pair of contents, not one per check.
    private void Failed(byte[]? fingerprint, string reason)
    {
        if (fingerprint is not null)
        {
            failedFingerprint = fingerprint;
        }

        if (reason == lastFailure)
        {
            return;
        }

        lastFailure = reason;
        metrics.CertificateReloaded(succeeded: false);
        logger.CertificateReloadFailed(reason);
    }

    private static (string Certificate, string Key) Read(string certificateFile, string keyFile) =>
        (ReadFile(certificateFile, "--tls-cert-file"), ReadFile(keyFile, "--tls-private-key-file"));

    private static string ReadFile(string path, string flag)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new CertificateLoadException($"{flag} {path}: {why}", e);
        }
    }

    private static byte[] Fingerprint(string certificatePem, string keyPem) =>
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certificatePem + "\0" + keyPem));

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
