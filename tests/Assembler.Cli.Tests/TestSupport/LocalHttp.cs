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
    public static Task<string> GetWhenUpAsync(string url) => GetWhenUpAsync(url, TimeSpan.FromSeconds(30));

    /// <summary>GETs the URL until the server answers, for up to <paramref name="within"/> while it starts.</summary>
    public static async Task<string> GetWhenUpAsync(string url, TimeSpan within)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
