using k8s;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.Hosting;

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
        try
        {
            // Each read has its own deadline (credentials.apiTimeout); this only bounds the HTTP client itself.
            return ApiServerClient.Create(
                    options.ApiServer, options.ApiTokenFile, options.Config.Credentials.ApiTimeout + TimeSpan.FromSeconds(1), "oras-assemble-csi/" + options.Version)
                ?? throw new ArgumentException(
                    "credentials.podPullSecrets is on, but the plugin is not in a cluster (no service account token) and --api-server is not given");
        }
        catch (ApiServerConfigException e)
        {
            throw new ArgumentException(options.ApiServer is null ? "credentials.podPullSecrets: " + e.Message : e.Message, e);
        }
    }
}
