using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Mirroring;

/// <summary>
/// The shipped mirror in front of a registry that wants a password: it reads with the credentials it was given (the
/// Secret's Authorization), whatever its clients send, and answers only reads by digest, so its credentials never
/// decide what a tag means or open a tag list to anyone who reaches it.
/// </summary>
public sealed class MirrorUpstreamAuthTests(BasicRegistryFixture fixture) : IClassFixture<BasicRegistryFixture>, IDisposable
{
    private readonly RegistryClient _pusher = new(new RegistryClientOptions
    {
        Hosts = TestHosts.PlainHttp,
        Credentials = KubernetesSecretCredentials.FromBasicAuth(fixture.Server.Host, TestUsers.Username, TestUsers.Password),
    });

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private RegistryServer Server => fixture.Server;

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    public void Dispose()
    {
        _http.Dispose();
        _pusher.Dispose();
    }

    [Fact]
    public async Task Blobs_and_manifests_by_digest_are_read_with_the_mirrors_credentials_and_whatever_the_client_sends_is_dropped()
    {
        var manifest = await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/app"), "1.0",
            [("app.txt", "private bytes", "text/plain")]);
        var blob = Digest.ComputeSha256(Encoding.UTF8.GetBytes("private bytes"));
        await using var mirror = await NginxMirror.StartAsync(Server.BaseUri, Basic(Server.ReadOnlyUsername, Server.ReadOnlyPassword));
        Server.ClearRequests();

        using var anonymous = await _http.GetAsync(new Uri($"http://{mirror.Host}/v2/private/app/blobs/{blob}"));
        using var wrongPassword = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{mirror.Host}/v2/private/app/manifests/{manifest.Digest}"));
        wrongPassword.Headers.Authorization = AuthenticationHeaderValue.Parse(Basic(Server.Username, "not the password"));
        wrongPassword.Headers.Accept.ParseAdd(manifest.MediaType);
        using var manifestResponse = await _http.SendAsync(wrongPassword);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("private bytes", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, manifestResponse.StatusCode);
        Assert.Equal(manifest.Digest, Digest.ComputeSha256(await manifestResponse.Content.ReadAsByteArrayAsync()));
        // One request each, answered at once: the mirror sent its credentials, not the client's wrong ones.
        Assert.Equal([($"GET /v2/private/app/blobs/{blob}", 200), ($"GET /v2/private/app/manifests/{manifest.Digest}", 200)],
            Server.Requests.Select(r => ($"{r.Method} {r.Path}", r.StatusCode)));
    }

    [Fact]
    public async Task Tags_tag_lists_referrers_and_pushes_are_refused_without_asking_the_registry()
    {
        await ContentBuilder.PushArtifactAsync(_pusher.GetRepository($"{Server.Host}/private/tags"), "1.0", [("a.txt", "a", "text/plain")]);
        await using var mirror = await NginxMirror.StartAsync(Server.BaseUri, Basic(Server.Username, Server.Password));
        Server.ClearRequests();

        var refused = new List<(string Path, HttpStatusCode Status, string Body)>();
        foreach (var path in new[]
        {
            "/v2/private/tags/manifests/1.0",
            "/v2/private/tags/tags/list",
            $"/v2/private/tags/referrers/{Digest.ComputeSha256("x"u8.ToArray())}",
            "/v2/_catalog",
        })
        {
            using var response = await _http.GetAsync(new Uri($"http://{mirror.Host}{path}"));
            refused.Add((path, response.StatusCode, await response.Content.ReadAsStringAsync()));
        }

        using var push = await _http.PostAsync(new Uri($"http://{mirror.Host}/v2/private/tags/blobs/{Digest.ComputeSha256("a"u8.ToArray())}"), new ByteArrayContent([]));
        using var ping = await _http.GetAsync(new Uri($"http://{mirror.Host}/v2/"));

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.NotFound, r.Status));
        Assert.All(refused, r => Assert.Contains("\"code\":\"UNSUPPORTED\"", r.Body, StringComparison.Ordinal));
        Assert.All(refused, r => Assert.Contains("this mirror serves blobs and manifests by digest only", r.Body, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("registry/2.0", Assert.Single(ping.Headers.GetValues("Docker-Distribution-Api-Version")));
        Assert.Empty(Server.Requests);
    }
}
