using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Remote;

public sealed class RegistryClientPingTests(AnonymousRegistryFixture anonymous, BasicRegistryFixture basic, TokenRegistryFixture token)
    : IClassFixture<AnonymousRegistryFixture>, IClassFixture<BasicRegistryFixture>, IClassFixture<TokenRegistryFixture>
{
    private static RegistryClient Client(RegistryServer server, Credential credential) => new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = new StaticCredentialProvider([new(server.Host, credential)]),
    });

    [Fact]
    public async Task Basic_registry_accepts_the_right_password()
    {
        using var client = Client(basic.Server, new Credential(basic.Server.Username, basic.Server.Password));
        basic.Server.ClearRequests();

        await client.PingAsync(basic.Server.Host);

        Assert.Equal(200, basic.Server.Requests.Last(r => r.Path == "/v2/").StatusCode);
    }

    [Fact]
    public async Task Basic_registry_refuses_a_wrong_password_with_an_authentication_error()
    {
        using var client = Client(basic.Server, new Credential(basic.Server.Username, "not-the-password"));

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => client.PingAsync(basic.Server.Host));

        Assert.StartsWith($"log in to {basic.Server.Host}: authentication required or credentials rejected (401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_registry_checks_the_password_at_its_token_service()
    {
        using var good = Client(token.Server, new Credential(token.Server.Username, token.Server.Password));
        using var bad = Client(token.Server, new Credential(token.Server.Username, "not-the-password"));

        await good.PingAsync(token.Server.Host);
        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => bad.PingAsync(token.Server.Host));

        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_registry_accepts_anyone()
    {
        using var client = Client(anonymous.Server, Credential.Empty);

        await client.PingAsync(anonymous.Server.Host);
    }

    [Theory]
    [InlineData("not a host")]
    [InlineData("myregistry")]
    [InlineData("ghcr.io/owner")]
    public async Task Something_other_than_a_registry_host_is_an_argument_error(string registry)
    {
        using var client = new RegistryClient();

        await Assert.ThrowsAsync<ArgumentException>(() => client.PingAsync(registry));
    }
}
