using k8s;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>How the webhook reaches the Kubernetes API server: in-cluster config, or <c>--api-server</c> for a webhook run elsewhere.</summary>
internal static class ApiServerConnection
{
    /// <summary>A client, or null when the webhook is not in a cluster and no server is named.</summary>
    /// <exception cref="WebhookStartupException">The token file cannot be read, or the in-cluster config is unusable.</exception>
    public static Kubernetes? Create(WebhookOptions options)
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
                    throw new WebhookStartupException($"--api-token-file {tokenFile}: {e.Message}", e);
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
                throw new WebhookStartupException($"in-cluster API server config: {e.Message}", e);
            }
        }
        else
        {
            return null;
        }

        // Every read also has its own deadline; this only bounds the HTTP client itself.
        configuration.HttpClientTimeout = options.ApiTimeout;
        configuration.UserAgent = WebhookCommandLine.Name + "/1";
        return new Kubernetes(configuration);
    }
}
