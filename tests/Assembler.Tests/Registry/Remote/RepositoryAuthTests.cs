using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote;

public sealed class RepositoryBasicAuthTests(BasicRegistryFixture fixture) : IClassFixture<BasicRegistryFixture>
{
    private RegistryServer Server => fixture.Server;

    private RegistryClient Client(Credential credential) => new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = new StaticCredentialProvider([new(Server.Host, credential)]),
    });

    [Fact]
    public async Task Right_user_pushes_and_pulls_and_is_challenged_only_once()
    {
        using var client = Client(new Credential(Server.Username, Server.Password));
        var repo = client.GetRepository($"{Server.Host}/basic/app");
        Server.ClearRequests();

        var first = await repo.PushBytesAsync("text/plain", "one"u8.ToArray());
        var second = await repo.PushBytesAsync("text/plain", "two"u8.ToArray());

        Assert.Equal("one"u8.ToArray(), await RepositoryRegistryTests.ReadAllAsync(repo, first));
        Assert.Equal("two"u8.ToArray(), await RepositoryRegistryTests.ReadAllAsync(repo, second));
        Assert.Equal(1, Server.Requests.Count(r => r.StatusCode == 401));
    }

    [Fact]
    public async Task Anonymous_access_is_an_authentication_error_naming_the_operation()
    {
        using var client = Client(Credential.Empty);

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetRepository($"{Server.Host}/basic/app").ResolveAsync("latest"));

        Assert.StartsWith($"resolve {Server.Host}/basic/app:latest: authentication required or credentials rejected (401", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_is_an_authentication_error()
    {
        using var client = Client(new Credential(Server.Username, "wrong"));

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetRepository($"{Server.Host}/basic/app").PushBytesAsync("text/plain", "x"u8.ToArray()));

        // The existence check (a HEAD, so no error body) is the first request to be refused.
        Assert.StartsWith($"check {Server.Host}/basic/app@sha256:", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(": authentication required or credentials rejected (401 Unauthorized)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
    }
}

public sealed class RepositoryTokenAuthTests(TokenRegistryFixture fixture) : IClassFixture<TokenRegistryFixture>
{
    private RegistryServer Server => fixture.Server;

    private TokenIssuer Issuer => Server.TokenIssuer;

    private RegistryClient Client(Credential credential) => new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = new StaticCredentialProvider([new(Server.Host, credential)]),
    });

    [Fact]
    public async Task Tokens_are_cached_per_scope_set()
    {
        using var client = Client(new Credential(Server.Username, Server.Password));
        var repo = client.GetRepository($"{Server.Host}/token/cached");
        Issuer.ClearRequests();

        var pushed = new List<Descriptor>();
        for (var i = 0; i < 5; i++)
        {
            pushed.Add(await repo.PushBytesAsync("text/plain", Encoding.UTF8.GetBytes($"blob {i}")));
        }

        foreach (var descriptor in pushed)
        {
            Assert.Equal(descriptor.Size, (await RepositoryRegistryTests.ReadAllAsync(repo, descriptor)).Length);
        }

        // One token to read (the existence check), one to write; every later request reuses them.
        Assert.Equal(2, Issuer.TokenRequests);
        Assert.Equal(
            ["repository:token/cached:pull", "repository:token/cached:pull,push"],
            Issuer.Requests.Select(r => string.Join(' ', r.Scopes)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Concurrent_requests_share_one_token_request()
    {
        using (var setup = Client(new Credential(Server.Username, Server.Password)))
        {
            await setup.GetRepository($"{Server.Host}/token/shared").PushBytesAsync("text/plain", "shared"u8.ToArray());
        }

        using var client = Client(new Credential(Server.Username, Server.Password));
        var repo = client.GetRepository($"{Server.Host}/token/shared");
        var descriptor = Descriptor.Create("shared"u8, "text/plain");
        Issuer.ClearRequests();

        var reads = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => RepositoryRegistryTests.ReadAllAsync(repo, descriptor)));

        Assert.All(reads, r => Assert.Equal("shared"u8.ToArray(), r));
        Assert.Equal(1, Issuer.TokenRequests);
    }

    [Fact]
    public async Task Anonymous_reads_public_repositories_but_cannot_push()
    {
        using (var setup = Client(new Credential(Server.Username, Server.Password)))
        {
            await setup.GetRepository($"{Server.Host}/public/tool").PushBytesAsync("text/plain", "public"u8.ToArray());
        }

        using var client = Client(Credential.Empty);
        var repo = client.GetRepository($"{Server.Host}/public/tool");

        Assert.Equal("public"u8.ToArray(), await RepositoryRegistryTests.ReadAllAsync(repo, Descriptor.Create("public"u8, "text/plain")));
        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => repo.PushBytesAsync("text/plain", "mine"u8.ToArray()));
        Assert.StartsWith($"push blob {Server.Host}/public/tool@", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_user_is_refused_a_push_after_the_insufficient_scope_round()
    {
        using var client = Client(new Credential(Server.ReadOnlyUsername, Server.ReadOnlyPassword));
        var repo = client.GetRepository($"{Server.Host}/token/readonly");

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => repo.PushBytesAsync("text/plain", "nope"u8.ToArray()));

        Assert.Contains("UNAUTHORIZED", error.Message, StringComparison.Ordinal);
        Assert.All(Issuer.Requests.Where(r => r.Username == Server.ReadOnlyUsername), r => Assert.Equal(200, r.StatusCode));
    }

    [Fact]
    public async Task Wrong_password_is_refused_by_the_token_service()
    {
        using var client = Client(new Credential(Server.Username, "not-it"));

        var error = await Assert.ThrowsAsync<RegistryAuthenticationException>(
            () => client.GetRepository($"{Server.Host}/token/app").ResolveAsync("latest"));

        Assert.StartsWith($"token service {Issuer.Realm} for {Server.Host} refused credential for {Server.Username} (401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_token_is_exchanged_through_the_OAuth2_flow()
    {
        using var http = new HttpClient();
        using var login = await http.PostAsync(Issuer.Realm, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = Server.Username,
            ["password"] = Server.Password,
            ["service"] = Issuer.Service,
            ["client_id"] = "test",
            ["access_type"] = "offline",
        }));
        login.EnsureSuccessStatusCode();
        var refresh = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh_token").GetString()!;
        Issuer.ClearRequests();

        using var client = Client(new Credential(RefreshToken: refresh));
        var repo = client.GetRepository($"{Server.Host}/token/refresh");
        var descriptor = await repo.PushBytesAsync("text/plain", "via refresh token"u8.ToArray());

        Assert.True(await repo.ExistsAsync(descriptor));
        Assert.NotEmpty(Issuer.Requests);
        Assert.All(Issuer.Requests, r => Assert.Equal(("POST", "refresh_token", 200), (r.Method, r.Grant, r.StatusCode)));
    }

    [Fact]
    public async Task Expired_token_is_replaced_by_a_new_one()
    {
        using var client = Client(new Credential(Server.Username, Server.Password));
        var repo = client.GetRepository($"{Server.Host}/token/expiry");
        var original = Issuer.TokenLifetime;
        Issuer.TokenLifetime = TimeSpan.FromSeconds(1);
        try
        {
            Issuer.ClearRequests();
            await repo.ExistsAsync(Descriptor.Create("x"u8, "text/plain"));
            await Task.Delay(TimeSpan.FromMilliseconds(1300));
            await repo.ExistsAsync(Descriptor.Create("x"u8, "text/plain"));
        }
        finally
        {
            Issuer.TokenLifetime = original;
        }

        Assert.Equal(2, Issuer.TokenRequests);
    }
}
