namespace OrasAssemble.Webhook.Hosting;

/// <summary>The webhook cannot start as configured; the message names the flag or file at fault.</summary>
internal sealed class WebhookStartupException(string message, Exception? innerException = null) : Exception(message, innerException);
