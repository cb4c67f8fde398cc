using k8s;
using OrasAssemble.CsiNode.Configuration;

namespace OrasAssemble.CsiNode.Credentials;

/// <summary>
/// How the plugin reaches the Kubernetes API server for pods' pull secrets: <c>--api-server</c> (with
/// <c>--api-token-file</c>) when given, else the in-cluster config of its service account.
/// </summary>
internal static class ApiServerConnection
{
    /// <exception cref="ArgumentException">The token file cannot be read, or there is no API server to ask.</exception>
    public static Kubernetes Create(NodeOptions options)
    {
        KubernetesClientConfiguration configuration;
        if (options.ApiServer is { } server)
        {
            string? token = null;
            if (options.ApiTokenFile is { } tokenFile)
            {
                try
                {
                    token = File.ReadAllText(tokenFile).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ArgumentException($"--api-token-file {tokenFile}: {e.Message}", e);
                }
            }

            configuration = new KubernetesClientConfiguration { Host = server.ToString(), AccessToken = token };
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            try
            {
                configuration = KubernetesClientConfiguration.InClusterConfig();
            }
            catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
            {
                throw new ArgumentException($"credentials.podPullSecrets: in-cluster API server config: {e.Message}", e);
            }
        }
        else
        {
            throw new ArgumentException(
                "credentials.podPullSecrets is on, but the plugin is not in a cluster (no service account token) and --api-server is not given");
        }

        // Each read has its own deadline (credentials.apiTimeout); this only bounds the HTTP client itself.
        configuration.HttpClientTimeout = options.Config.Credentials.ApiTimeout + TimeSpan.FromSeconds(1);
        configuration.UserAgent = "oras-assemble-csi/" + options.Version;
        return new Kubernetes(configuration);
    }
}
