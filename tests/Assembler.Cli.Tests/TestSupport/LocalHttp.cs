using System.Net;
using System.Net.Sockets;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>For tests that start a server (the example application) and ask it something over loopback.</summary>
internal static class LocalHttp
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>GETs the URL until the server answers, for up to 30 s while it starts.</summary>
    public static async Task<string> GetWhenUpAsync(string url)
    {
        using var http = new HttpClient();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException) when (attempt < 300)
            {
                await Task.Delay(100);
            }
        }
    }
}
