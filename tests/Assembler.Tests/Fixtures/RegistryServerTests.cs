using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrasAssemble.Tests.Fixtures;

// Plain HttpClient on purpose: these tests prove the fixtures, so they must not depend on the client under test.
public sealed class RegistryServerTests(AnonymousRegistryFixture anonymous, BasicRegistryFixture basic, TokenRegistryFixture token)
    : IClassFixture<AnonymousRegistryFixture>, IClassFixture<BasicRegistryFixture>, IClassFixture<TokenRegistryFixture>, IDisposable
{
    private readonly HttpClient http = new();

    public void Dispose() => http.Dispose();

    [Fact]
    public async Task Anonymous_registry_serves_a_pushed_blob_and_logs_each_request()
    {
        var server = anonymous.Server;
        server.ClearRequests();
        var content = Encoding.UTF8.GetBytes("hello from the anonymous registry");

        var digest = await PushBlobAsync(server, "smoke/anonymous", content, auth: null);
        using var response = await http.GetAsync(new Uri(server.BaseUri, $"/v2/smoke/anonymous/blobs/{digest}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, server.Count("GET", $"/v2/smoke/anonymous/blobs/{digest}"));
        Assert.Equal(1, server.Count("POST", "/v2/smoke/anonymous/blobs/uploads/"));
        Assert.Equal(1, server.Count("PUT", new Regex($@"^/v2/smoke/anonymous/blobs/uploads/[^?]+\?.*digest={Regex.Escape(digest.Replace(":", "%3A", StringComparison.Ordinal))}")));
        var get = Assert.Single(server.Requests, r => r.Method == "GET");
        Assert.Equal(200, get.StatusCode);
        Assert.Equal(content.Length, get.ResponseBytes);
    }

    [Fact]
    public async Task ClearRequests_forgets_earlier_requests()
    {
        var server = anonymous.Server;
        using (await http.GetAsync(new Uri(server.BaseUri, "/v2/_catalog")))
        {
        }

        Assert.Equal(1, server.Count("GET", "/v2/_catalog"));
        server.ClearRequests();

        Assert.Equal(0, server.Count("GET", "/v2/_catalog"));
    }

    [Fact]
    public async Task Basic_registry_requires_the_test_user()
    {
        var server = basic.Server;
        var endpoint = new Uri(server.BaseUri, "/v2/");

        using var without = await http.GetAsync(endpoint);
        using var wrong = await SendAsync(HttpMethod.Get, endpoint, BasicAuth(server.Username, "not-the-password"));
        using var right = await SendAsync(HttpMethod.Get, endpoint, BasicAuth(server.Username, server.Password));

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal($"Basic realm=\"{RegistryServer.BasicRealm}\"", without.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task Basic_registry_lets_the_test_user_push_and_pull()
    {
        var server = basic.Server;
        var auth = BasicAuth(server.Username, server.Password);
        var content = Encoding.UTF8.GetBytes("hello from the basic registry");

        var digest = await PushBlobAsync(server, "smoke/basic", content, auth);
        using var response = await SendAsync(HttpMethod.Get, new Uri(server.BaseUri, $"/v2/smoke/basic/blobs/{digest}"), auth);

        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Token_registry_challenges_with_the_issuer_realm_and_service()
    {
        var server = token.Server;

        using var response = await http.GetAsync(new Uri(server.BaseUri, "/v2/"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains($"realm=\"{server.TokenIssuer.Realm}\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains($"service=\"{server.TokenIssuer.Service}\"", challenge.Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_registry_lets_the_main_user_push_and_pull_with_a_token()
    {
        var server = token.Server;
        server.TokenIssuer.ClearRequests();
        var bearer = await GetTokenAsync(server, BasicAuth(server.Username, server.Password), "repository:x:pull,push");
        var content = Encoding.UTF8.GetBytes("hello from the token registry");

        var digest = await PushBlobAsync(server, "x", content, bearer);
        using var response = await SendAsync(HttpMethod.Get, new Uri(server.BaseUri, $"/v2/x/blobs/{digest}"), bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, server.TokenIssuer.TokenRequests);
        var request = Assert.Single(server.TokenIssuer.Requests);
        Assert.Equal(("GET", "basic", server.Username, 200), (request.Method, request.Grant, request.Username, request.StatusCode));
        Assert.Equal(["repository:x:pull,push"], request.Scopes);
    }

    [Fact]
    public async Task Token_registry_answers_a_token_without_the_scope_with_insufficient_scope()
    {
        var server = token.Server;
        var owner = await GetTokenAsync(server, BasicAuth(server.Username, server.Password), "repository:private/app:pull,push");
        var digest = await PushBlobAsync(server, "private/app", Encoding.UTF8.GetBytes("private bytes"), owner);
        var reader = await GetTokenAsync(server, null, "repository:private/app:pull");

        using var response = await SendAsync(HttpMethod.Get, new Uri(server.BaseUri, $"/v2/private/app/blobs/{digest}"), reader);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate).ToString();
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"repository:private/app:pull\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_registry_lets_anonymous_pull_public_repositories_but_not_push()
    {
        var server = token.Server;
        var owner = await GetTokenAsync(server, BasicAuth(server.Username, server.Password), "repository:public/tool:pull,push");
        var content = Encoding.UTF8.GetBytes("public bytes");
        var digest = await PushBlobAsync(server, "public/tool", content, owner);
        var anonymousToken = await GetTokenAsync(server, null, "repository:public/tool:pull,push");

        using var pull = await SendAsync(HttpMethod.Get, new Uri(server.BaseUri, $"/v2/public/tool/blobs/{digest}"), anonymousToken);
        using var push = await SendAsync(HttpMethod.Post, new Uri(server.BaseUri, "/v2/public/tool/blobs/uploads/"), anonymousToken);

        Assert.Equal(content, await pull.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        Assert.Contains("error=\"insufficient_scope\"", push.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains(server.TokenIssuer.Requests, r => r.Grant == "anonymous" && r.Username is null && r.StatusCode == 200);
    }

    [Fact]
    public async Task Token_registry_lets_the_read_only_user_pull_but_not_push()
    {
        var server = token.Server;
        var owner = await GetTokenAsync(server, BasicAuth(server.Username, server.Password), "repository:team/app:pull,push");
        var digest = await PushBlobAsync(server, "team/app", Encoding.UTF8.GetBytes("team bytes"), owner);
        var reader = await GetTokenAsync(server, BasicAuth(server.ReadOnlyUsername, server.ReadOnlyPassword), "repository:team/app:pull,push");

        using var pull = await SendAsync(HttpMethod.Head, new Uri(server.BaseUri, $"/v2/team/app/blobs/{digest}"), reader);
        using var push = await SendAsync(HttpMethod.Post, new Uri(server.BaseUri, "/v2/team/app/blobs/uploads/"), reader);

        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        var challenge = push.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        // Distribution lists the actions it needs in no fixed order.
        Assert.Matches("scope=\"repository:team/app:(pull,push|push,pull)\"", challenge);
    }

    [Fact]
    public async Task Token_issuer_rejects_a_wrong_password_on_both_protocols()
    {
        var issuer = token.Server.TokenIssuer;

        using var get = await SendAsync(
            HttpMethod.Get, new Uri(issuer.Realm, $"?service={issuer.Service}&scope=repository:x:pull"), BasicAuth(TestUsers.Username, "wrong"));
        using var post = await http.PostAsync(issuer.Realm, OAuthForm(issuer, ("grant_type", "password"), ("username", TestUsers.Username), ("password", "wrong")));

        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
    }

    [Fact]
    public async Task Token_issuer_hands_out_refresh_tokens_that_buy_new_access_tokens()
    {
        var server = token.Server;
        var issuer = server.TokenIssuer;

        using var offline = await SendAsync(
            HttpMethod.Get,
            new Uri(issuer.Realm, $"?service={issuer.Service}&scope=repository:refresh/app:pull&offline_token=true"),
            BasicAuth(server.Username, server.Password));
        var fromGet = await offline.Content.ReadFromJsonAsync<JsonElement>();
        using var password = await http.PostAsync(issuer.Realm, OAuthForm(
            issuer, ("grant_type", "password"), ("username", server.Username), ("password", server.Password),
            ("access_type", "offline"), ("scope", "repository:refresh/app:pull")));
        var fromPassword = await password.Content.ReadFromJsonAsync<JsonElement>();
        using var refreshed = await http.PostAsync(issuer.Realm, OAuthForm(
            issuer, ("grant_type", "refresh_token"), ("refresh_token", fromGet.GetProperty("refresh_token").GetString()!),
            ("scope", "repository:refresh/app:pull repository:refresh/app:push")));
        var fromRefresh = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        var bearer = new AuthenticationHeaderValue("Bearer", fromRefresh.GetProperty("access_token").GetString());
        var digest = await PushBlobAsync(server, "refresh/app", Encoding.UTF8.GetBytes("refreshed"), bearer);

        Assert.True(fromGet.TryGetProperty("token", out _));
        Assert.True(fromPassword.TryGetProperty("refresh_token", out _));
        Assert.Equal(300, fromRefresh.GetProperty("expires_in").GetInt32());
        Assert.Equal("repository:refresh/app:pull,push", fromRefresh.GetProperty("scope").GetString());
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        Assert.Contains(issuer.Requests, r => r is { Method: "POST", Grant: "refresh_token", Username: TestUsers.Username });
    }

    [Fact]
    public async Task Token_registry_refuses_a_token_expired_beyond_its_leeway()
    {
        var server = token.Server;
        var issuer = server.TokenIssuer;
        TokenAccess[] access = [new("repository", "expiry/app", ["pull"])];
        var endpoint = new Uri(server.BaseUri, "/v2/expiry/app/tags/list");

        // distribution tolerates 60 s of clock skew past exp.
        using var recent = await SendAsync(HttpMethod.Get, endpoint, Bearer(issuer.CreateToken(TestUsers.Username, access, TimeSpan.FromSeconds(-20))));
        using var stale = await SendAsync(HttpMethod.Get, endpoint, Bearer(issuer.CreateToken(TestUsers.Username, access, TimeSpan.FromMinutes(-5))));

        Assert.Equal(HttpStatusCode.NotFound, recent.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Contains("error=\"invalid_token\"", stale.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_registry_refuses_a_token_whose_signature_does_not_match()
    {
        var server = token.Server;
        var issuer = server.TokenIssuer;
        var narrow = issuer.CreateToken(TestUsers.ReadOnlyUsername, [new("repository", "forged/app", ["pull"])], TimeSpan.FromMinutes(5));
        var wide = issuer.CreateToken(TestUsers.ReadOnlyUsername, [new("repository", "forged/app", ["pull", "push"])], TimeSpan.FromMinutes(5));
        var forged = wide[..wide.LastIndexOf('.')] + narrow[narrow.LastIndexOf('.')..];
        var endpoint = new Uri(server.BaseUri, "/v2/forged/app/blobs/uploads/");

        using var genuine = await SendAsync(HttpMethod.Post, endpoint, Bearer(wide));
        using var tampered = await SendAsync(HttpMethod.Post, endpoint, Bearer(forged));

        Assert.Equal(HttpStatusCode.Accepted, genuine.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.Contains("error=\"invalid_token\"", tampered.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Access_log_lines_parse_into_requests()
    {
        Assert.True(RegistryRequest.TryParse(
            "127.0.0.1 - - [22/Nov/2026:04:55:55 +0000] \"GET /v2/foo/blobs/sha256:abc?x=1 HTTP/1.1\" 400 110 \"\" \"curl/7.88.1 \\\"quoted\\\"\"",
            out var request));
        Assert.Equal(new RegistryRequest("GET", "/v2/foo/blobs/sha256:abc?x=1", 400, 110, "curl/7.88.1 \"quoted\""), request);
        Assert.Equal("/v2/foo/blobs/sha256:abc", request!.PathWithoutQuery);
        Assert.False(RegistryRequest.TryParse("time=\"2026-11-22T04:55:55Z\" level=info msg=\"response completed\" http.request.method=GET", out _));
    }

    private async Task<string> PushBlobAsync(RegistryServer server, string repository, byte[] content, AuthenticationHeaderValue? auth)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        using var start = await SendAsync(HttpMethod.Post, new Uri(server.BaseUri, $"/v2/{repository}/blobs/uploads/"), auth);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = new Uri(server.BaseUri, start.Headers.Location!);
        var separator = location.Query.Length == 0 ? "?" : "&";
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest)))
        {
            Content = new ByteArrayContent(content),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        put.Headers.Authorization = auth;
        using var done = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        return digest;
    }

    private async Task<AuthenticationHeaderValue> GetTokenAsync(RegistryServer server, AuthenticationHeaderValue? auth, string scope)
    {
        var issuer = server.TokenIssuer;
        using var response = await SendAsync(
            HttpMethod.Get, new Uri(issuer.Realm, $"?service={Uri.EscapeDataString(issuer.Service)}&scope={Uri.EscapeDataString(scope)}"), auth);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return Bearer(body.GetProperty("token").GetString()!);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, AuthenticationHeaderValue? auth)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = auth;
        return await http.SendAsync(request);
    }

    private static FormUrlEncodedContent OAuthForm(TokenIssuer issuer, params (string Key, string Value)[] fields) =>
        new([new("service", issuer.Service), new("client_id", "oras-assemble-tests"), .. fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))]);

    private static AuthenticationHeaderValue BasicAuth(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
}
