namespace OrasAssemble.Registry.Auth;

/// <summary>Finds the credential to use for a registry host (e.g. <c>ghcr.io</c>, <c>127.0.0.1:5000</c>).</summary>
public interface ICredentialProvider
{
    /// <returns>The credential, or <see cref="Credential.Empty"/> for anonymous access.</returns>
    Task<Credential> GetAsync(string registry, CancellationToken cancellationToken = default);
}
