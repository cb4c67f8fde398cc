using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>
/// Registries that answer and then stall: a body trickled after its headers, a body that ends early, headers that
/// come late. Every wait is bounded, every retry is reported with its cause, and the last failure names the reference.
/// </summary>
public sealed class RepositoryTransferTimeoutTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<RegistryRetry> _retries = new();
    private readonly CancellationTokenSource _done = new();
    private FaultyRegistry _server = null!;

    public async Task InitializeAsync() => _server = await FaultyRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        // A server that stopped reading an upload does not see the client hang up; release it so it can stop.
        await _done.CancelAsync();
        await _server.DisposeAsync();
        _done.Dispose();
    }

    /// <summary>Holds the request until the client hangs up or the test is over.</summary>
    private async Task StallAsync(HttpContext context)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _done.Token);
        await Task.Delay(TimeSpan.FromSeconds(30), either.Token).ContinueWith(_ => { });
    }

    private RegistryClient Client(Func<RegistryClientOptions, RegistryClientOptions>? adjust = null)
    {
        var options = new RegistryClientOptions
        {
            Hosts = TestHosts.PlainHttp,
            Retry = new RetryPolicy { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(5) },
            IdleTimeout = TimeSpan.FromSeconds(1),
            Retrying = _retries.Enqueue,
        };
        return new RegistryClient(adjust is null ? options : adjust(options));
    }

    private Repository Repo(RegistryClient client) => client.GetRepository($"{_server.Host}/test/app");

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

    /// <summary>Headers for the whole body, then a byte every 100 ms: far under any real link, never quite silent.</summary>
    private static async Task TrickleAsync(HttpContext context, byte[] content, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = content.Length;
        try
        {
            for (var i = 0; i < content.Length; i++)
            {
                await context.Response.Body.WriteAsync(content.AsMemory(i, 1), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(100, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task A_blob_trickled_after_its_headers_is_abandoned_at_the_idle_timeout_and_resumed_with_Range()
    {
        var content = RandomBytes(200_000);
        var descriptor = _server.AddBlob(content);
        _server.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            await TrickleAsync(context, content, "application/octet-stream");
            return true;
        };
        using var client = Client();

        var clock = Stopwatch.StartNew();
        await using var stream = await Repo(client).FetchAsync(descriptor);
        Assert.Equal(content, await ReadAllAsync(stream));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        var gets = _server.Requests.Where(r => r.Method == "GET").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        var resumedAt = int.Parse(gets[1].Range!["bytes=".Length..^1], CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 30);
        var retry = Assert.Single(_retries);
        Assert.Equal(_server.Host, retry.Registry);
        Assert.Equal($"blob {descriptor.Digest}", retry.Target);
        Assert.Equal((2, 6), (retry.Attempt, retry.MaxAttempts));
        // The count is of the last window of the idle timeout, which a slow machine may start after the first bytes.
        var cause = Regex.Match(retry.Cause,
            @"^the registry sent only (\d+) bytes in 1s \(transfer\.idleTimeout\) at byte (\d+) of (\d+)$");
        Assert.True(cause.Success, retry.Cause);
        Assert.InRange(int.Parse(cause.Groups[1].Value, CultureInfo.InvariantCulture), 1, resumedAt);
        Assert.Equal($"{resumedAt}", cause.Groups[2].Value);
        Assert.Equal($"{content.Length}", cause.Groups[3].Value);
        Assert.True(retry.TimedOut);
    }

    [Fact]
    public async Task A_blob_that_never_progresses_fails_with_a_transfer_error_naming_the_blob_and_the_timeout()
    {
        var descriptor = _server.AddBlob(RandomBytes(50_000));
        _server.Fault = async (context, _) =>
        {
            // Headers, then silence until the client gives up.
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = descriptor.Size;
            await context.Response.Body.FlushAsync();
            await StallAsync(context);
            return true;
        };
        using var client = Client(o => o with { MaxResumes = 2 });

        var clock = Stopwatch.StartNew();
        await using var stream = await Repo(client).FetchAsync(descriptor);
        var error = await Assert.ThrowsAsync<RegistryTransferException>(() => ReadAllAsync(stream));

        Assert.Equal(
            $"fetch blob {_server.Host}/test/app@{descriptor.Digest}: the registry sent nothing in 1s (transfer.idleTimeout) " +
            $"at byte 0 of {descriptor.Size} (attempt 3 of 3, each resuming where the last stopped)", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(10));
        Assert.Equal(3, _server.Count("GET", $"/v2/test/app/blobs/{descriptor.Digest}"));
        Assert.Equal([2, 3], _retries.Select(r => r.Attempt));
    }

    [Fact]
    public async Task A_trickled_manifest_is_asked_for_again_and_read_whole()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest);
        _server.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            await TrickleAsync(context, manifest, MediaTypes.ImageManifest);
            return true;
        };
        using var client = Client();

        var (fetched, content) = await Repo(client).FetchAsync("v1");

        Assert.Equal(descriptor.Digest, fetched.Digest);
        Assert.Equal(manifest, await ReadAllAsync(content));
        Assert.Equal(2, _server.Count("GET", "/v2/test/app/manifests/v1"));
        var retry = Assert.Single(_retries);
        Assert.Equal(("manifest test/app:v1", 2, 4), (retry.Target, retry.Attempt, retry.MaxAttempts));
        Assert.Matches(@"^the registry sent only \d+ bytes in 1s \(transfer\.idleTimeout\)$", retry.Cause);
    }

    /// <summary>Says the whole length and sends half: the server closes the connection, the body ends early.</summary>
    private static async Task SendHalfAsync(HttpContext context, byte[] content)
    {
        context.Response.ContentType = MediaTypes.ImageManifest;
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2));
        await context.Response.Body.FlushAsync();
    }

    [Fact]
    public async Task A_manifest_body_that_ends_early_is_retried_and_then_succeeds()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest);
        _server.Fault = async (context, n) =>
        {
            if (n != 1)
            {
                return false;
            }

            await SendHalfAsync(context, manifest);
            return true;
        };
        using var client = Client();

        var (fetched, content) = await Repo(client).FetchAsync("v1");

        Assert.Equal(descriptor.Digest, fetched.Digest);
        Assert.Equal(manifest, await ReadAllAsync(content));
        Assert.Equal(2, _server.Count("GET", "/v2/test/app/manifests/v1"));
        var retry = Assert.Single(_retries);
        Assert.Equal(("manifest test/app:v1", 2, 4), (retry.Target, retry.Attempt, retry.MaxAttempts));
        Assert.StartsWith("the body ended early (", retry.Cause, StringComparison.Ordinal);
        Assert.False(retry.TimedOut);
    }

    [Fact]
    public async Task A_manifest_body_that_always_ends_early_fails_with_a_message_naming_the_reference()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"u8.ToArray();
        _server.AddManifest("v1", manifest);
        _server.Fault = async (context, _) =>
        {
            await SendHalfAsync(context, manifest);
            return true;
        };
        using var client = Client();

        var error = await Assert.ThrowsAsync<RegistryTransferException>(() => Repo(client).FetchAsync("v1"));

        Assert.StartsWith($"fetch manifest {_server.Host}/test/app:v1: the body ended early (", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(attempt 4 of 4)", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, _server.Count("GET", "/v2/test/app/manifests/v1"));
        Assert.Equal([2, 3, 4], _retries.Select(r => r.Attempt));
    }

    [Fact]
    public async Task Headers_slower_than_the_configured_response_timeout_are_retried_and_each_retry_is_reported()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":[]}"u8.ToArray();
        var descriptor = _server.AddManifest("v1", manifest);
        _server.Fault = async (context, n) =>
        {
            if (n > 2)
            {
                return false;
            }

            await StallAsync(context);
            return true;
        };
        var transfer = TransferSettings.Parse("transfer: { responseTimeout: 1s }", "host-config.yaml");
        using var client = Client(o => o.WithTransfer(transfer) with { IdleTimeout = TimeSpan.FromSeconds(5) });

        var clock = Stopwatch.StartNew();
        var (fetched, _) = await Repo(client).FetchAsync("v1");

        Assert.Equal(descriptor.Digest, fetched.Digest);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
        Assert.Equal(3, _server.Count("GET", "/v2/test/app/manifests/v1"));
        Assert.Equal(
            [(2, 4), (3, 4)],
            _retries.Select(r => (r.Attempt, r.MaxAttempts)));
        Assert.All(_retries, r =>
        {
            Assert.Equal(_server.Host, r.Registry);
            Assert.Equal("manifest test/app:v1", r.Target);
            Assert.Equal("no response headers within 1s (transfer.responseTimeout)", r.Cause);
            Assert.True(r.TimedOut);
        });
        Assert.StartsWith($"manifest test/app:v1 from {_server.Host}: attempt 2 of 4 in ", _retries.First().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_that_never_come_fail_naming_the_timeout_and_the_attempts()
    {
        _server.Fault = async (context, _) =>
        {
            await StallAsync(context);
            return true;
        };
        using var client = Client(o => o with { ResponseTimeout = TimeSpan.FromMilliseconds(300), Retry = o.Retry with { MaxAttempts = 2 } });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Repo(client).FetchAsync("v1"));

        Assert.Equal(
            $"GET http://{_server.Host}/v2/test/app/manifests/v1 did not answer within 300ms (transfer.responseTimeout; attempt 2 of 2)",
            error.Message);
        Assert.Equal("no response headers within 300ms (transfer.responseTimeout)", Assert.Single(_retries).Cause);
    }

    /// <summary>Opens an upload session on POST; <paramref name="put"/> answers the upload itself.</summary>
    private void AcceptUploads(Func<HttpContext, Task> put) => _server.Fault = async (context, _) =>
    {
        if (context.Request.Method == "POST" && context.Request.Path.Value!.EndsWith("/blobs/uploads/", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 202;
            context.Response.Headers.Location = "/v2/test/app/blobs/uploads/session";
            return true;
        }

        if (context.Request.Method == "PUT")
        {
            await put(context);
            return true;
        }

        return false;
    };

    [Fact]
    public async Task An_upload_the_registry_stops_taking_fails_at_the_idle_timeout()
    {
        var content = RandomBytes(32 * 1024 * 1024);
        var descriptor = Descriptor.Create(content, "application/octet-stream");
        AcceptUploads(StallAsync);
        using var client = Client(o => o with { Retry = o.Retry with { MaxAttempts = 2 } });

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Repo(client).PushAsync(descriptor, new MemoryStream(content)));

        Assert.Equal(
            $"PUT http://{_server.Host}/v2/test/app/blobs/uploads/session: the registry took nothing of the upload for 1s (transfer.idleTimeout) (attempt 2 of 2)",
            error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(15));
        Assert.Equal(2, _server.Count("PUT", "/v2/test/app/blobs/uploads/session"));
        var retry = Assert.Single(_retries);
        Assert.Equal(("PUT /v2/test/app/blobs/uploads/session", 2, 2), (retry.Target, retry.Attempt, retry.MaxAttempts));
        Assert.Equal("the registry took nothing of the upload for 1s (transfer.idleTimeout)", retry.Cause);
    }

    [Fact]
    public async Task An_upload_whose_answer_never_comes_fails_within_the_response_timeout()
    {
        var content = RandomBytes(10_000);
        var descriptor = Descriptor.Create(content, "application/octet-stream");
        var received = new ConcurrentQueue<long>();
        AcceptUploads(async context =>
        {
            using var sink = new MemoryStream();
            await context.Request.Body.CopyToAsync(sink);
            received.Enqueue(sink.Length);
            await StallAsync(context);
        });
        using var client = Client(o => o with { ResponseTimeout = TimeSpan.FromMilliseconds(500), Retry = o.Retry with { MaxAttempts = 2 } });

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Repo(client).PushAsync(descriptor, new MemoryStream(content)));

        Assert.Equal(
            $"PUT http://{_server.Host}/v2/test/app/blobs/uploads/session did not answer within 500ms (transfer.responseTimeout; attempt 2 of 2)",
            error.Message);
        Assert.Equal([10_000L, 10_000L], received);
        Assert.Equal("no response headers within 500ms (transfer.responseTimeout)", Assert.Single(_retries).Cause);
    }
}
