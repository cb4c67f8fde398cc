using k8s;
using OrasAssemble.Hosting;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>How the webhook reaches the Kubernetes API server: in-cluster config, or <c>--api-server</c> for a webhook run elsewhere.</summary>
internal static class ApiServerConnection
{
    /// <summary>A client, or null when the webhook is not in a cluster and no server is named.</summary>
    /// <exception cref="WebhookStartupException">The token file cannot be read, or the in-cluster config is unusable.</exception>
    public static Kubernetes? Create(WebhookOptions options)
    {
        try
        {
            return ApiServerClient.Create(options.ApiServer, options.ApiTokenFile, options.ApiTimeout, WebhookCommandLine.Name + "/1");
        }
        catch (ApiServerConfigException e)
        {
            throw new WebhookStartupException(e.Message, e);
        }
    }
}
