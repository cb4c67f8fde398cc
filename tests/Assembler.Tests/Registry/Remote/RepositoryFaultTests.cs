using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Tests.Registry.Remote;

public sealed class RepositoryFaultTests : IAsyncLifetime
{
    private FaultyRegistry _server = null!;
    private RegistryClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FaultyRegistry.StartAsync();
        _client = new RegistryClient(new RegistryClientOptions
        {
            Hosts = TestHosts.PlainHttp,
            Retry = new RetryPolicy { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(5) },
        });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Repository Repo => _client.GetRepository($"{_server.Host}/test/app");

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Corrupted_blob_body_is_rejected_as_a_digest_mismatch()
    {
        var good = RandomBytes(100_000);
        var descriptor = _server.AddBlob(good);
        var corrupt = (byte[])good.Clone();
        corrupt[50_000] ^= 0xff;
        _server.Blobs[descriptor.Digest] = corrupt;

        await using var stream = await Repo.FetchAsync(descriptor);
        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => ReadAllAsync(stream));
        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupted_blob_leaves_nothing_in_the_local_blob_store()
    {
        var good = RandomBytes(300_000);
        var descriptor = _server.AddBlob(good);
        var corrupt = (byte[])good.Clone();
        corrupt[^1] ^= 0x01;
        _server.Blobs[descriptor.Digest] = corrupt;
        using var dir = new TempDirectory();
        var cache = new BlobStore(new BlobStoreOptions { Root = dir.Path });

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Copier.CopyGraphAsync(Repo, cache, descriptor));

        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
        Assert.False(await cache.ExistsAsync(descriptor));
        Assert.Empty(dir.Files());
    }

    [Fact]
    public async Task Blob_longer_than_its_descriptor_is_rejected()
    {
        var content = RandomBytes(1000);
        var descriptor = _server.AddBlob(content);
        _server.Blobs[descriptor.Digest] = [.. content, 1, 2, 3];

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Repo.FetchAsync(descriptor));
        Assert.Contains("size mismatch: expected 1000 bytes, the registry sends 1003", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_registry_recovers()
    {
        var content = RandomBytes(4096);
        var descriptor = _server.AddBlob(content);
        _server.Fault = async (context, n) =>
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
        Assert.Equal(3, _server.Count("GET", $"/v2/test/app/blobs/{descriptor.Digest}"));
    }

    [Fact]
    public async Task Too_many_requests_waits_as_long_as_Retry_After_says()
    {
        var manifest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest);
        _server.Fault = async (context, n) =>
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
        Assert.Equal(2, _server.Count("HEAD", "/v2/test/app/manifests/v1"));
    }

    [Fact]
    public async Task Persistent_throttling_becomes_a_rate_limit_error_naming_the_code()
    {
        _server.AddManifest("v1", "{}"u8.ToArray());
        _server.Fault = async (context, _) =>
        {
            await FaultyRegistry.WriteErrorAsync(context, HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS", "quota exhausted");
            return true;
        };

        var error = await Assert.ThrowsAsync<RegistryRateLimitException>(() => Repo.FetchAsync("v1"));
        Assert.Contains("TOOMANYREQUESTS: quota exhausted", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, _server.Count("GET", "/v2/test/app/manifests/v1"));
    }

    [Fact]
    public async Task A_registrys_huge_error_message_is_cut_in_the_exception()
    {
        var words = new string('x', 60 * 1024);
        _server.Fault = async (context, _) =>
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

    [Fact]
    public async Task Dropped_connection_mid_blob_resumes_with_Range_and_yields_the_exact_bytes()
    {
        var content = RandomBytes(3 * 1024 * 1024 + 17);
        var descriptor = _server.AddBlob(content);
        _server.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = content.Length;
            await context.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 3));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return true;
        };

        await using var stream = await Repo.FetchAsync(descriptor);
        Assert.Equal(content, await ReadAllAsync(stream));

        var gets = _server.Requests.Where(r => r.Method == "GET").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Matches(@"^bytes=\d+-$", gets[1].Range!);
        Assert.True(int.Parse(gets[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Manifest_over_the_size_cap_is_refused_before_it_is_read()
    {
        var huge = new byte[5 * 1024 * 1024];
        Array.Fill(huge, (byte)' ');
        _server.AddManifest("big", huge);

        var error = await Assert.ThrowsAsync<SizeLimitExceededException>(() => Repo.FetchAsync("big"));
        Assert.Contains("over the limit of 4194304", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_over_the_size_cap_without_a_length_is_cut_off()
    {
        _server.Fault = async (context, _) =>
        {
            context.Response.ContentType = MediaTypes.ImageManifest;
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 80; i++)
            {
                await context.Response.Body.WriteAsync(chunk);
            }

            return true;
        };

        var error = await Assert.ThrowsAsync<SizeLimitExceededException>(() => Repo.FetchAsync("chunked"));
        Assert.Contains("over the limit of 4194304 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_whose_body_does_not_match_the_digest_asked_for_is_rejected()
    {
        var manifest = "{\"schemaVersion\":2}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest);
        _server.Manifests[descriptor.Digest] = (MediaTypes.ImageManifest, "{\"schemaVersion\":3}"u8.ToArray());

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Repo.FetchAsync(descriptor.Digest));
        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN", typeof(RegistryNotFoundException))]
    [InlineData(HttpStatusCode.NotFound, "NAME_UNKNOWN", typeof(RegistryNotFoundException))]
    [InlineData(HttpStatusCode.Unauthorized, "UNAUTHORIZED", typeof(RegistryAuthenticationException))]
    [InlineData(HttpStatusCode.Forbidden, "DENIED", typeof(RegistryAccessDeniedException))]
    [InlineData(HttpStatusCode.BadRequest, "MANIFEST_INVALID", typeof(RegistryException))]
    public async Task Error_bodies_become_typed_exceptions_with_the_registry_code(HttpStatusCode status, string code, Type expected)
    {
        _server.Fault = async (context, _) =>
        {
            await FaultyRegistry.WriteErrorAsync(context, status, code, "explained");
            return true;
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Repo.FetchAsync("v1"));
        Assert.IsType(expected, error);
        Assert.Contains($"fetch manifest {_server.Host}/test/app:v1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{code}: explained", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_falls_back_to_GET_when_HEAD_is_not_allowed()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest, MediaTypes.ImageIndex);
        _server.Fault = (context, _) =>
        {
            if (context.Request.Method != "HEAD")
            {
                return Task.FromResult(false);
            }

            context.Response.StatusCode = 405;
            return Task.FromResult(true);
        };

        var resolved = await Repo.ResolveAsync("v1");
        Assert.Equal(descriptor with { MediaType = MediaTypes.ImageIndex }, resolved);
        Assert.Equal(1, _server.Count("GET", "/v2/test/app/manifests/v1"));
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
        _server.Fault = async (context, _) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { });
            return true;
        };

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.GetRepository($"{_server.Host}/test/app").ResolveAsync("v1"));
        Assert.Contains("did not answer within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insufficient_scope_challenge_gets_a_token_for_the_scope_it_names()
    {
        var content = "mounted"u8.ToArray();
        var descriptor = _server.AddBlob(content);
        var tokenScopes = new List<string>();
        const string wide = "repository:other/thing:pull repository:test/app:pull";
        _server.Fault = async (context, _) =>
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
                ? $"Bearer realm=\"http://{_server.Host}/token\",service=\"fake\",scope=\"repository:test/app:pull\""
                : $"Bearer realm=\"http://{_server.Host}/token\",service=\"fake\",scope=\"{wide}\",error=\"insufficient_scope\"";
            return true;
        };

        var read = await ReadAllAsync(await Repo.FetchAsync(descriptor));

        Assert.Equal(content, read);
        Assert.Equal(["repository:test/app:pull", wide], tokenScopes);
    }

    [Fact]
    public async Task Tag_listing_follows_Link_pagination()
    {
        _server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v2/test/app/tags/list"))
            {
                return false;
            }

            var last = context.Request.Query["last"].ToString();
            var (tags, next) = last switch
            {
                "" => ("\"a\",\"b\"", "</v2/test/app/tags/list?last=b&n=2>; rel=\"next\""),
                "b" => ("\"c\",\"d\"", "</v2/test/app/tags/list?last=d&n=2>; rel=\"next\""),
                _ => ("\"e\"", null),
            };
            if (next is not null)
            {
                context.Response.Headers.Link = next;
            }

            await context.Response.WriteAsync($$"""{"name":"test/app","tags":[{{tags}}]}""");
            return true;
        };

        var listed = new List<string>();
        await foreach (var tag in Repo.ListTagsAsync())
        {
            listed.Add(tag);
        }

        Assert.Equal(["a", "b", "c", "d", "e"], listed);
        Assert.Equal(3, _server.Count("GET", "/v2/test/app/tags/list"));
    }

    [Fact]
    public async Task Referrers_API_is_used_when_the_registry_serves_it()
    {
        var subject = _server.AddManifest("v1", "{\"schemaVersion\":2}"u8.ToArray());
        var referrer = new Descriptor { MediaType = MediaTypes.ImageManifest, Digest = Digest.ComputeSha256("r"u8), Size = 1, ArtifactType = "application/vnd.example.sig" };
        _server.Fault = async (context, _) =>
        {
            if (context.Request.Path != $"/v2/test/app/referrers/{subject.Digest}")
            {
                return false;
            }

            context.Response.ContentType = MediaTypes.ImageIndex;
            await context.Response.Body.WriteAsync(OciJson.Serialize(new Oci.Index { Manifests = [referrer] }));
            return true;
        };

        var repo = Repo;
        var found = new List<Descriptor>();
        await foreach (var d in repo.FetchReferrersAsync(subject))
        {
            found.Add(d);
        }

        Assert.Equal([referrer], found);
        Assert.True(repo.SupportsReferrersApi);
        Assert.Equal(0, _server.Count("GET", "/v2/test/app/manifests/sha256-"));
    }
}
