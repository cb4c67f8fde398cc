namespace OrasAssemble.Registry.Auth;

/// <summary>
/// A docker credential helper (<c>docker-credential-&lt;name&gt;</c>) was missing, failed, or answered nonsense.
/// The message names the helper and carries what it wrote to stderr, with any secret we sent it masked.
/// </summary>
public sealed class CredentialHelperException(string helper, string message, string? helperError = null, Exception? inner = null)
    : Exception(string.IsNullOrWhiteSpace(helperError) ? $"{helper}: {message}" : $"{helper}: {message}: {helperError}", inner)
{
    /// <summary>The program name, e.g. <c>docker-credential-pass</c>.</summary>
    public string Helper { get; } = helper;

    /// <summary>The helper's own error text (stderr, or stdout when stderr was empty), if any.</summary>
    public string? HelperError { get; } = helperError;
}
