using System.Globalization;
using System.Net;
using OrasAssemble.Text;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>Where to listen: an IP address (or <c>localhost</c>) and a port, written <c>host:port</c> or <c>[v6]:port</c>.</summary>
internal sealed record ListenAddress(IPAddress? Address, int Port)
{
    public static ListenAddress Default { get; } = new(IPAddress.Any, 8443);

    /// <summary>Null address: <c>localhost</c>, on both loopback addresses.</summary>
    public bool IsLocalhost => Address is null;

    public static bool TryParse(string text, out ListenAddress? address, out string problem)
    {
        address = null;
        problem = "";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"{QuotedValue.Of(text)} is not host:port (e.g. 0.0.0.0:8443, [::]:8443 or localhost:8443)";
            return false;
        }

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"port {QuotedValue.Of(portText)} in {QuotedValue.Of(text)} is not a number from 0 to 65535";
            return false;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenAddress(null, port);
            return true;
        }

        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        var ipText = bracketed ? host[1..^1] : host;
        if (!IPAddress.TryParse(ipText, out var ip) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !bracketed))
        {
            problem = $"host {QuotedValue.Of(host)} in {QuotedValue.Of(text)} is not an IP address (IPv6 in brackets, e.g. [::]) or localhost";
            return false;
        }

        address = new ListenAddress(ip, port);
        return true;
    }

    public override string ToString() => Address switch
    {
        null => $"localhost:{Port}",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } v6 => $"[{v6}]:{Port}",
        var v4 => $"{v4}:{Port}",
    };
}
