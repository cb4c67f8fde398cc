namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>A certificate and its private key in PEM files.</summary>
public sealed record PemFiles(string CertificateFile, string KeyFile);
