namespace OrasAssemble.Webhook.PullSecrets;

/// <summary>The pod's service account could not be read from the API server: too slow, unreachable, or refused.</summary>
internal sealed class ServiceAccountReadException(string message, Exception? inner = null) : Exception(message, inner);
