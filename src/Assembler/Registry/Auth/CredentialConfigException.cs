namespace OrasAssemble.Registry.Auth;

/// <summary>
/// A docker <c>config.json</c> (or a secret in that format) could not be used. <see cref="Origin"/> names the file
/// or secret key; the message never contains a secret.
/// </summary>
public sealed class CredentialConfigException(string origin, string message, Exception? inner = null)
    : Exception($"{origin}: {message}", inner)
{
    public string Origin { get; } = origin;
}
