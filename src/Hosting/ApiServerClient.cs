using k8s;

namespace OrasAssemble.Hosting;

/// <summary>
/// How a host reaches the Kubernetes API server: the server named by <c>--api-server</c> (with the bearer token in
/// <c>--api-token-file</c>, if given), else the in-cluster config of the pod's service account, else none. Source file
/// shared by the node plugin and the webhook, which each say in their own terms what a failure means for them.
/// </summary>
internal static class ApiServerClient
{
    /// <summary>A client, or null when the host is not in a cluster and no server is named.</summary>
    /// <param name="httpTimeout">Bounds the HTTP client; every read also has its own deadline.</param>
    /// <exception cref="ApiServerConfigException">The token file cannot be read, or the in-cluster config is unusable.</exception>
    public static Kubernetes? Create(Uri? server, string? tokenFile, TimeSpan httpTimeout, string userAgent)
    {
        KubernetesClientConfiguration configuration;
        if (server is not null)
        {
            string? token = null;
            if (tokenFile is not null)
            {
                try
                {
                    token = File.ReadAllText(tokenFile).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ApiServerConfigException($"--api-token-file {tokenFile}: {e.Message}", e);
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
                throw new ApiServerConfigException($"in-cluster API server config: {e.Message}", e);
            }
        }
        else
        {
            return null;
        }

        configuration.HttpClientTimeout = httpTimeout;
        configuration.UserAgent = userAgent;
        return new Kubernetes(configuration);
    }
}

/// <summary>The API server cannot be reached as configured; the message names the flag or the config at fault.</summary>
internal sealed class ApiServerConfigException(string message, Exception inner) : Exception(message, inner);
