using System.Security.Cryptography;
using System.Text;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// A volume's credentials from its <c>nodePublishSecretRef</c> secret: a <c>.dockerconfigjson</c> (any registries), or
/// <c>username</c>/<c>password</c> for the one registry the volume names.
/// </summary>
internal static class VolumeCredentials
{
    /// <param name="basicAuthRegistry">
    /// The registry a <c>username</c>/<c>password</c> pair is for; null when the volume names none, which makes such a
    /// pair an error rather than a password sent to whichever registry asks.
    /// </param>
    /// <exception cref="CredentialConfigException">The secret holds nothing usable, or a pair with no registry to go to.</exception>
    public static ICredentialProvider FromSecrets(IReadOnlyDictionary<string, string> secrets, string? basicAuthRegistry)
    {
        if (secrets.Count == 0)
        {
            return StaticCredentialProvider.Empty;
        }

        if (basicAuthRegistry is null)
        {
            if (secrets.ContainsKey(KubernetesSecretCredentials.UsernameKey) || secrets.ContainsKey(KubernetesSecretCredentials.PasswordKey))
            {
                throw new CredentialConfigException("secret",
                    "username/password apply to the registry of oras.artifact.reference; this volume's sources are on several registries, so use a .dockerconfigjson secret");
            }

            // Any registry will do: without a pair the registry argument is not used.
            basicAuthRegistry = "localhost";
        }

        return KubernetesSecretCredentials.FromSecretData(secrets, basicAuthRegistry);
    }

    /// <summary>
    /// Every secret value and per-volume connection option that decides what a registry answers, in one fixed order:
    /// two volumes with the same text are the same caller. It holds the secret in clear, so it is only ever hashed.
    /// </summary>
    public static string Canonical(IReadOnlyDictionary<string, string> secrets, string? basicAuthRegistry, bool plainHttp, bool insecure)
    {
        var text = new StringBuilder();
        text.Append(plainHttp).Append('\n').Append(insecure).Append('\n').Append(basicAuthRegistry).Append('\n');
        foreach (var (key, value) in secrets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(key.Length).Append(':').Append(key).Append(value.Length).Append(':').Append(value);
        }

        return text.ToString();
    }

    /// <summary>
    /// Tells apart volumes that must not share a registry client (whose token cache is per client): a one-way hash of
    /// the <see cref="Canonical"/> text, never the secret itself.
    /// </summary>
    public static string Fingerprint(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
}
