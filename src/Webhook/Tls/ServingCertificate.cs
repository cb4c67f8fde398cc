using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrasAssemble.Webhook.Tls;

/// <summary>A certificate with its private key and any intermediates from the same PEM file, ready for TLS handshakes.</summary>
internal sealed class ServingCertificate
{
    private ServingCertificate(X509Certificate2 certificate, SslStreamCertificateContext context)
    {
        Certificate = certificate;
        Context = context;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>What handshakes present: the certificate and its chain.</summary>
    public SslStreamCertificateContext Context { get; }

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    public string Thumbprint => Certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>Reads a PEM certificate (the first one is the server's; any others are its chain) and its PEM private key.</summary>
    /// <exception cref="CertificateLoadException">Either text holds no usable PEM, or the key is not the certificate's.</exception>
    public static ServingCertificate FromPem(string certificatePem, string keyPem, string certificateFile, string keyFile)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CertificateLoadException($"cannot use {certificateFile} with {keyFile}: {Explain(certificatePem, keyPem, e)}", e);
        }

        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(certificatePem);
        var intermediates = new X509Certificate2Collection();
        foreach (var extra in chain.Skip(1))
        {
            intermediates.Add(extra);
        }

        var context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
        return new ServingCertificate(certificate, context);
    }

    // CreateFromPem's messages do not say which of the two files is at fault; look at each on its own.
    private static string Explain(string certificatePem, string keyPem, Exception e)
    {
        if (!certificatePem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return "the certificate file holds no PEM certificate";
        }

        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return "the key file holds no PEM private key";
        }

        return $"the private key does not belong to the certificate, or one of them is damaged ({e.Message})";
    }
}
