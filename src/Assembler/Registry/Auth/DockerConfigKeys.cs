namespace OrasAssemble.Registry.Auth;

/// <summary>Picks the entry of a docker config map (auths, credHelpers) that applies to a registry.</summary>
internal static class DockerConfigKeys
{
    /// <summary>
    /// The value whose key is exactly the registry's server address; failing that, the first (in file order) whose
    /// key names the same host in another spelling, such as <c>https://ghcr.io</c> or <c>http://host/v1/</c>.
    /// </summary>
    public static T? FindBest<T>(IReadOnlyList<KeyValuePair<string, T>> entries, string registry)
        where T : class
    {
        var canonical = DockerServerAddress.Canonical(registry);
        var serverAddress = DockerServerAddress.ForRegistry(canonical);
        T? alias = null;
        foreach (var (key, value) in entries)
        {
            if (string.Equals(key, serverAddress, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }

            if (alias is null && DockerServerAddress.Canonical(key) == canonical)
            {
                alias = value;
            }
        }

        return alias;
    }

    public static bool Matches(string key, string registry) =>
        DockerServerAddress.Canonical(key) == DockerServerAddress.Canonical(registry);
}
