using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// A registry reached over a slow network: a pass-through HTTP proxy in front of a real registry that can hold blob
/// downloads or blob uploads until released, so a pull or a push takes exactly as long as a test needs, or drop every
/// request while the registry is to look down. Counts the blob downloads it passes.
/// </summary>
internal sealed class GatedRegistryProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentDictionary<string, int> _blobGets = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _uploadArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TaskCompletionSource _gate;
    private volatile TaskCompletionSource _uploadGate;

    private GatedRegistryProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
        _gate = Open();
        _uploadGate = Open();
    }

    /// <summary><c>127.0.0.1:PORT</c>: use it as the registry part of references.</summary>
    public string Host { get; private set; } = "";

    public IReadOnlyDictionary<string, int> BlobGets => _blobGets;

    public static async Task<GatedRegistryProxy> StartAsync(Uri registry)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = registry };
        var proxy = new GatedRegistryProxy(app, upstream);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        proxy.Host = new Uri(address).Authority;
        return proxy;
    }

    /// <summary>From now on blob downloads wait until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    /// <summary>From now on the requests that carry a blob upload's bytes (PATCH and PUT of an upload session) wait until <see cref="ReleaseUploads"/>.</summary>
    public void HoldUploads() => _uploadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseUploads() => _uploadGate.TrySetResult();

    /// <summary>Completes once the first request with a blob upload's bytes has reached the proxy, held or not.</summary>
    public Task UploadArrived => _uploadArrived.Task;

    /// <summary>While true, every request is dropped before it reaches the registry, as by a registry that is down.</summary>
    public bool Unreachable { get; set; }

    public async ValueTask DisposeAsync()
    {
        Release();
        ReleaseUploads();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource();
        open.SetResult();
        return open;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Unreachable)
        {
            context.Abort();
            return;
        }

        var path = context.Request.Path.Value + context.Request.QueryString.Value;
        if (HttpMethods.IsGet(context.Request.Method) && path.Contains("/blobs/sha256:", StringComparison.Ordinal))
        {
            _blobGets.AddOrUpdate(context.Request.Path.Value!, 1, (_, n) => n + 1);
            await _gate.Task.WaitAsync(context.RequestAborted);
        }

        if ((HttpMethods.IsPatch(context.Request.Method) || HttpMethods.IsPut(context.Request.Method)) && path.Contains("/blobs/uploads/", StringComparison.Ordinal))
        {
            _uploadArrived.TrySetResult();
            await _uploadGate.Task.WaitAsync(context.RequestAborted);
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), path);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Location", StringComparison.OrdinalIgnoreCase))
            {
                // The registry names itself in an upload's location; the rest of the upload must come through here too.
                context.Response.Headers[name] = values.Select(v => v.Replace(_upstream.BaseAddress!.Authority, Host, StringComparison.Ordinal)).ToArray();
            }
            else if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
