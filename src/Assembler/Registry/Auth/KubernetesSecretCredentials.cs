using System.Text;
using OrasAssemble.Text;

namespace OrasAssemble.Registry.Auth;

/// <summary>
/// Credentials from Kubernetes secrets, in the form a CSI node plugin receives them (key to decoded value):
/// image pull secrets (<c>kubernetes.io/dockerconfigjson</c>, legacy <c>kubernetes.io/dockercfg</c>) and
/// basic-auth secrets (<c>username</c> / <c>password</c>).
/// </summary>
/// <remarks>
/// <c>credHelpers</c> and <c>credsStore</c> in a secret are ignored: a secret is written by a tenant, and letting it
/// choose which program runs on the node would hand the node to that tenant.
/// </remarks>
public static class KubernetesSecretCredentials
{
    public const string DockerConfigJsonKey = ".dockerconfigjson";
    public const string DockerCfgKey = ".dockercfg";
    public const string UsernameKey = "username";
    public const string PasswordKey = "password";

    /// <summary>Reads the <c>auths</c> of a <c>.dockerconfigjson</c> payload.</summary>
    public static StaticCredentialProvider FromDockerConfigJson(ReadOnlySpan<byte> json)
    {
        const string origin = "secret key " + DockerConfigJsonKey;
        if (DockerConfig.IsBlank(json))
        {
            throw new CredentialConfigException(origin, "is empty");
        }

        return new StaticCredentialProvider(DockerConfig.Parse(json, origin).Auths);
    }

    /// <inheritdoc cref="FromDockerConfigJson(ReadOnlySpan{byte})"/>
    public static StaticCredentialProvider FromDockerConfigJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromDockerConfigJson(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads a legacy <c>.dockercfg</c> payload: the auths map itself, without the <c>auths</c> wrapper.</summary>
    public static StaticCredentialProvider FromDockerCfg(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        const string origin = "secret key " + DockerCfgKey;
        var bytes = Encoding.UTF8.GetBytes(json);
        if (DockerConfig.IsBlank(bytes))
        {
            throw new CredentialConfigException(origin, "is empty");
        }

        using var document = DockerConfig.ParseDocument(bytes, origin);
        return new StaticCredentialProvider(DockerConfig.ParseAuths(document.RootElement, origin, "$"));
    }

    /// <summary>A username and password that apply to one registry only, never to any other it may redirect to.</summary>
    public static StaticCredentialProvider FromBasicAuth(string registry, string username, string password)
    {
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        return new StaticCredentialProvider([new(canonical, new Credential(username, password))]);
    }

    /// <summary>
    /// Credentials from the data of a secret (e.g. CSI <c>NodePublishVolume</c>'s <c>secrets</c>). No data means
    /// anonymous. <c>.dockerconfigjson</c> and <c>.dockercfg</c> entries are read as such; <c>username</c> and
    /// <c>password</c> apply to <paramref name="registry"/> alone and take precedence for it. Other keys are ignored,
    /// but data that holds none of the known keys is an error, since it is surely not what the user meant.
    /// </summary>
    /// <param name="registry">The registry the basic-auth pair is for: that of the reference being pulled.</param>
    public static StaticCredentialProvider FromSecretData(IReadOnlyDictionary<string, string> data, string registry)
    {
        ArgumentNullException.ThrowIfNull(data);
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        if (data.Count == 0)
        {
            return StaticCredentialProvider.Empty;
        }

        var merged = new Dictionary<string, Credential>(StringComparer.Ordinal);
        var known = false;
        if (data.TryGetValue(DockerConfigJsonKey, out var dockerConfigJson))
        {
            Merge(merged, FromDockerConfigJson(dockerConfigJson));
            known = true;
        }

        if (data.TryGetValue(DockerCfgKey, out var dockerCfg))
        {
            Merge(merged, FromDockerCfg(dockerCfg));
            known = true;
        }

        var username = data.GetValueOrDefault(UsernameKey);
        var password = data.GetValueOrDefault(PasswordKey);
        if (username is not null || password is not null)
        {
            if (string.IsNullOrEmpty(username))
            {
                throw new CredentialConfigException("secret", $"\"{UsernameKey}\" is missing or empty while \"{PasswordKey}\" is given");
            }

            if (string.IsNullOrEmpty(password))
            {
                throw new CredentialConfigException("secret", $"\"{PasswordKey}\" is missing or empty while \"{UsernameKey}\" is given");
            }

            merged[canonical] = new Credential(username, password);
            known = true;
        }

        if (!known)
        {
            var keys = string.Join(", ", data.Keys.Order(StringComparer.Ordinal).Select(QuotedValue.Of));
            throw new CredentialConfigException(
                "secret",
                $"has none of the keys {DockerConfigJsonKey}, {DockerCfgKey} or {UsernameKey}/{PasswordKey} (found {keys})");
        }

        return new StaticCredentialProvider(merged);
    }

    private static void Merge(Dictionary<string, Credential> merged, StaticCredentialProvider source)
    {
        foreach (var (registry, credential) in source.ByRegistry)
        {
            merged.TryAdd(registry, credential);
        }
    }
}
