using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// A throwaway certificate authority made with <see cref="CertificateRequest"/>: it issues serving certificates as
/// PEM files (as a Kubernetes TLS secret holds them) and makes HTTP clients that trust it and nothing else.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private TestCertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static TestCertificateAuthority Create(string name = "oras-assemble webhook test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new TestCertificateAuthority(request.CreateSelfSigned(now.AddDays(-7), now.AddDays(7)));
    }

    /// <summary>
    /// Issues a serving certificate for 127.0.0.1 and localhost (plus <paramref name="dnsNames"/>) and writes it and
    /// its key as PEM files named <c>{stem}.crt</c> and <c>{stem}.key</c> under <paramref name="directory"/>.
    /// </summary>
    public PemFiles Issue(string directory, string stem, string commonName = "oras-assemble-webhook", params string[] dnsNames)
    {
        var now = DateTimeOffset.UtcNow;
        var (certificatePem, keyPem) = IssuePem(commonName, now.AddMinutes(-5), now.AddDays(1), dnsNames);
        var files = new PemFiles(Path.Combine(directory, stem + ".crt"), Path.Combine(directory, stem + ".key"));
        File.WriteAllText(files.CertificateFile, certificatePem);
        File.WriteAllText(files.KeyFile, keyPem);
        return files;
    }

    /// <summary>A serving certificate and its key, as PEM text.</summary>
    public (string CertificatePem, string KeyPem) IssuePem(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(Certificate, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return (certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>
    /// A client that trusts only <paramref name="trusted"/> (this CA by default) and checks the host name, reporting
    /// each server certificate it is shown to <paramref name="seen"/>. Every client opens its own connections.
    /// </summary>
    public HttpClient CreateClient(Action<X509Certificate2>? seen = null, X509Certificate2? trusted = null, string? expectedName = null)
    {
        var root = trusted ?? Certificate;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    seen?.Invoke(server);
                    var nameOk = expectedName is null
                        ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                        : server.MatchesHostname(expectedName);
                    if (!nameOk || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(root);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(server);
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public void Dispose() => Certificate.Dispose();
}
