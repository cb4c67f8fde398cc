using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Tests.Registry.Remote;

public sealed class RepositoryFaultTests : FaultyRegistryTests
{
    [Fact]
    public async Task Server_errors_are_retried_until_the_registry_recovers()
    {
        var content = RandomBytes(4096);
        var descriptor = Server.AddBlob(content);
        Server.Fault = async (context, n) =>
        {
            if (n > 2)
            {
                return false;
            }

            context.Response.StatusCode = n == 1 ? 500 : 503;
            await Task.CompletedTask;
            return true;
        };

        await using var stream = await Repo.FetchAsync(descriptor);
        Assert.Equal(content, await ReadAllAsync(stream));
        Assert.Equal(3, Server.Count("GET", $"/v2/test/app/blobs/{descriptor.Digest}"));
    }

    [Fact]
    public async Task Too_many_requests_waits_as_long_as_Retry_After_says()
    {
        var manifest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}"u8.ToArray();
        var descriptor = Server.AddManifest("v1", manifest);
        Server.Fault = async (context, n) =>
        {
            if (n > 1)
            {
                return false;
            }

            context.Response.Headers.RetryAfter = "1";
            await FaultyRegistry.WriteErrorAsync(context, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS", "slow down");
            return true;
        };

        var clock = Stopwatch.StartNew();
        var resolved = await Repo.ResolveAsync("v1");

        Assert.Equal(descriptor.Digest, resolved.Digest);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {clock.Elapsed.TotalMilliseconds} ms, before Retry-After");
        Assert.Equal(2, Server.Count("HEAD", "/v2/test/app/manifests/v1"));
    }

    [Fact]
    public async Task Persistent_throttling_becomes_a_rate_limit_error_naming_the_code()
    {
        Server.AddManifest("v1", "{}"u8.ToArray());
        Server.Fault = async (context, _) =>
        {
            await FaultyRegistry.WriteErrorAsync(context, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS", "quota exhausted");
            return true;
        };

        var error = await Assert.ThrowsAsync<RegistryRateLimitException>(() => Repo.FetchAsync("v1"));
        Assert.Contains("TOOMANYREQUESTS: quota exhausted", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, Server.Count("GET", "/v2/test/app/manifests/v1"));
    }

    [Fact]
    public async Task A_registrys_huge_error_message_is_cut_in_the_exception()
    {
        var words = new string('x', 60 * 1024);
        Server.Fault = async (context, _) =>
        {
            await FaultyRegistry.WriteErrorAsync(context, HttpStatusCode.Forbidden, "DENIED", words);
            return true;
        };

        var error = await Assert.ThrowsAsync<RegistryAccessDeniedException>(() => Repo.FetchAsync("v1"));

        Assert.InRange(error.Message.Length, 1, 1024);
        Assert.Contains($"DENIED: {words[..100]}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"… ({words.Length + "DENIED: ".Length} characters)", error.Message, StringComparison.Ordinal);
        Assert.Equal(words, Assert.Single(error.Errors).Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN", typeof(RegistryNotFoundException))]
    [InlineData(HttpStatusCode.NotFound, "NAME_UNKNOWN", typeof(RegistryNotFoundException))]
    [InlineData(HttpStatusCode.Unauthorized, "UNAUTHORIZED", typeof(RegistryAuthenticationException))]
    [InlineData(HttpStatusCode.Forbidden, "DENIED", typeof(RegistryAccessDeniedException))]
    [InlineData(HttpStatusCode.BadRequest, "MANIFEST_INVALID", typeof(RegistryException))]
    public async Task Error_bodies_become_typed_exceptions_with_the_registry_code(HttpStatusCode status, string code, Type expected)
    {
        Server.Fault = async (context, _) =>
        {
            await FaultyRegistry.WriteErrorAsync(context, status, code, "explained");
            return true;
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Repo.FetchAsync("v1"));
        Assert.IsType(expected, error);
        Assert.Contains($"fetch manifest {Server.Host}/test/app:v1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{code}: explained", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_that_never_answers_fails_within_the_response_timeout()
    {
        using var client = new RegistryClient(new RegistryClientOptions
        {
            Hosts = TestHosts.PlainHttp,
            Retry = RetryPolicy.None,
            ResponseTimeout = TimeSpan.FromMilliseconds(300),
        });
        Server.Fault = async (context, _) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { });
            return true;
        };

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.GetRepository($"{Server.Host}/test/app").ResolveAsync("v1"));
        Assert.Contains("did not answer within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insufficient_scope_challenge_gets_a_token_for_the_scope_it_names()
    {
        var content = "mounted"u8.ToArray();
        var descriptor = Server.AddBlob(content);
        var tokenScopes = new List<string>();
        const string wide = "repository:other/thing:pull repository:test/app:pull";
        Server.Fault = async (context, _) =>
        {
            if (context.Request.Path == "/token")
            {
                var scopes = string.Join(' ', context.Request.Query["scope"].ToArray());
                tokenScopes.Add(scopes);
                await context.Response.WriteAsync($$"""{"token":"{{Uri.EscapeDataString(scopes)}}","expires_in":300}""");
                return true;
            }

            var presented = Uri.UnescapeDataString(context.Request.Headers.Authorization.ToString().Replace("Bearer ", "", StringComparison.Ordinal));
            if (presented == wide)
            {
                return false;
            }

            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = presented.Length == 0
                ? $"Bearer realm=\"http://{Server.Host}/token\",service=\"fake\",scope=\"repository:test/app:pull\""
                : $"Bearer realm=\"http://{Server.Host}/token\",service=\"fake\",scope=\"{wide}\",error=\"insufficient_scope\"";
            return true;
        };

        var read = await ReadAllAsync(await Repo.FetchAsync(descriptor));

        Assert.Equal(content, read);
        Assert.Equal(["repository:test/app:pull", wide], tokenScopes);
    }


}
