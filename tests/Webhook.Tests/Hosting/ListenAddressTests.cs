using System.Net;
using OrasAssemble.Webhook.Hosting;

namespace OrasAssemble.Webhook.Tests.Hosting;

/// <summary>The <c>--listen</c> flag's values: what parses, and what is refused with the reason.</summary>
public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("0.0.0.0:8443", "0.0.0.0", 8443)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::]:443", "::", 443)]
    [InlineData("localhost:9443", null, 9443)]
    public void Listen_addresses_parse(string text, string? address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var parsed, out _));
        Assert.Equal(address is null ? null : IPAddress.Parse(address), parsed!.Address);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData("8443", "is not host:port")]
    [InlineData(":8443", "is not host:port")]
    [InlineData("0.0.0.0:", "is not host:port")]
    [InlineData("0.0.0.0:70000", "port \"70000\"")]
    [InlineData("webhook.example:8443", "host \"webhook.example\"")]
    [InlineData(":::8443", "host \"::\"")]
    public void Unusable_listen_addresses_say_why(string text, string problem)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out var message));
        Assert.Contains(problem, message, StringComparison.Ordinal);
    }
}
