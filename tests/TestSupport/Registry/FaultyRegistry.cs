using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrasAssemble.Oci;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>
/// A few-line registry in process, for what a real registry cannot be made to do on demand: corrupt a body,
/// fail and then recover, throttle, drop a connection half way, send an oversized manifest.
/// </summary>
internal sealed class FaultyRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FaultyRegistry(WebApplication app, string host)
    {
        _app = app;
        Host = host;
    }

    public string Host { get; }

    public ConcurrentDictionary<string, byte[]> Blobs { get; } = new();

    public ConcurrentDictionary<string, (string MediaType, byte[] Content)> Manifests { get; } = new();

    /// <summary>Runs before the normal handling; returning true means it answered the request itself.</summary>
    public Func<HttpContext, int, Task<bool>>? Fault { get; set; }

    public ConcurrentQueue<(string Method, string Path, string? Range)> Requests { get; } = new();

    public int Count(string method, string pathPrefix) =>
        Requests.Count(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    public static async Task<FaultyRegistry> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FaultyRegistry? registry = null;
        var counter = 0;
        app.Run(async context =>
        {
            var request = context.Request;
            registry!.Requests.Enqueue((request.Method, request.Path + request.QueryString, request.Headers.Range.ToString() is { Length: > 0 } r ? r : null));
            var n = Interlocked.Increment(ref counter);
            if (registry.Fault is { } fault && await fault(context, n))
            {
                return;
            }

            await registry.HandleAsync(context);
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First());
        registry = new FaultyRegistry(app, $"127.0.0.1:{address.Port}");
        return registry;
    }

    public Descriptor AddBlob(byte[] content, string mediaType = "application/octet-stream")
    {
        var descriptor = Descriptor.Create(content, mediaType);
        Blobs[descriptor.Digest] = content;
        return descriptor;
    }

    public Descriptor AddManifest(string tag, byte[] content, string mediaType = MediaTypes.ImageManifest)
    {
        var descriptor = Descriptor.Create(content, mediaType);
        Manifests[tag] = (mediaType, content);
        Manifests[descriptor.Digest] = (mediaType, content);
        return descriptor;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var parts = path.Split('/');
        var last = parts[^1];
        if (path.Contains("/blobs/", StringComparison.Ordinal) && Blobs.TryGetValue(last, out var blob))
        {
            await WriteBlobAsync(context, blob);
            return;
        }

        if (path.Contains("/manifests/", StringComparison.Ordinal) && Manifests.TryGetValue(last, out var manifest))
        {
            context.Response.ContentType = manifest.MediaType;
            context.Response.ContentLength = manifest.Content.Length;
            context.Response.Headers["Docker-Content-Digest"] = Digest.ComputeSha256(manifest.Content);
            if (context.Request.Method == "GET")
            {
                await context.Response.Body.WriteAsync(manifest.Content);
            }

            return;
        }

        await WriteErrorAsync(context, HttpStatusCode.NotFound, path.Contains("/blobs/", StringComparison.Ordinal) ? "BLOB_UNKNOWN" : "MANIFEST_UNKNOWN", "unknown");
    }

    public static async Task WriteBlobAsync(HttpContext context, byte[] blob)
    {
        var from = 0;
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            from = int.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{blob.Length - 1}/{blob.Length}";
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = blob.Length - from;
        if (context.Request.Method == "GET")
        {
            await context.Response.Body.WriteAsync(blob.AsMemory(from));
        }
    }

    public static async Task WriteErrorAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(
            $$"""{"errors":[{"code":"{{code}}","message":"{{message}}","detail":null}]}"""));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
