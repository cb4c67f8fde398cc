using OrasAssemble.Text;

namespace OrasAssemble.Registry.Auth;

/// <summary>
/// A fixed map of registry to credential, e.g. from a pod's secret. Keys may be host names or any spelling docker
/// uses in <c>auths</c> (<c>https://ghcr.io</c>, <c>https://index.docker.io/v1/</c>); registries not in the map get
/// <see cref="Credential.Empty"/>.
/// </summary>
public sealed class StaticCredentialProvider : ICredentialProvider
{
    private readonly Dictionary<string, Credential> byRegistry;

    /// <param name="credentials">
    /// Key and credential pairs. When several keys name the same registry, the one spelled as docker writes it
    /// (host name, or <c>https://index.docker.io/v1/</c> for Docker Hub) wins, otherwise the first.
    /// </param>
    public StaticCredentialProvider(IEnumerable<KeyValuePair<string, Credential>> credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        byRegistry = new Dictionary<string, Credential>(StringComparer.Ordinal);
        var exact = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, credential) in credentials)
        {
            ArgumentNullException.ThrowIfNull(credential);
            var registry = DockerServerAddress.Canonical(key);
            if (registry.Length == 0)
            {
                throw new ArgumentException($"{QuotedValue.Of(key)} does not name a registry", nameof(credentials));
            }

            var isExact = string.Equals(key.Trim(), DockerServerAddress.ForRegistry(registry), StringComparison.OrdinalIgnoreCase);
            if (isExact)
            {
                if (exact.Add(registry))
                {
                    byRegistry[registry] = credential;
                }
            }
            else
            {
                byRegistry.TryAdd(registry, credential);
            }
        }
    }

    public static StaticCredentialProvider Empty { get; } = new([]);

    /// <summary>The registries this provider has a credential for, as canonical host names (<c>docker.io</c>).</summary>
    public IReadOnlyCollection<string> Registries => byRegistry.Keys;

    internal IReadOnlyDictionary<string, Credential> ByRegistry => byRegistry;

    public Task<Credential> GetAsync(string registry, CancellationToken cancellationToken = default)
    {
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(byRegistry.GetValueOrDefault(canonical) ?? Credential.Empty);
    }
}
