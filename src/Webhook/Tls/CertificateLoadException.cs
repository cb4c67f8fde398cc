namespace OrasAssemble.Webhook.Tls;

internal sealed class CertificateLoadException(string message, Exception? innerException = null) : Exception(message, innerException);
