using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using OrasAssemble.Webhook.Hosting;

namespace OrasAssemble.Webhook.Tests.TestSupport;

/// <summary>
/// The real webhook host (Kestrel, HTTPS, the same wiring as the binary) on 127.0.0.1 and a free port, with a
/// serving certificate from a test CA and a client that trusts only that CA.
/// </summary>
internal sealed class WebhookInstance : IAsyncDisposable
{
    private readonly WebApplication app;

    private WebhookInstance(WebApplication app, Uri baseUri, HttpClient client, LogSink logs, PemFiles certificate)
    {
        this.app = app;
        BaseUri = baseUri;
        Client = client;
        Logs = logs;
        Certificate = certificate;
    }

    public Uri BaseUri { get; }

    public HttpClient Client { get; }

    public LogSink Logs { get; }

    public PemFiles Certificate { get; }

    public IServiceProvider Services => app.Services;

    /// <param name="directory">Where the serving certificate's files are written.</param>
    /// <param name="configure">Changes to the options (listen address and certificate are filled in already).</param>
    public static async Task<WebhookInstance> StartAsync(
        TestCertificateAuthority authority, string directory, Func<WebhookOptions, WebhookOptions>? configure = null)
    {
        var certificate = authority.Issue(directory, "serving");
        var options = new WebhookOptions
        {
            Listen = new ListenAddress(IPAddress.Loopback, 0),
            TlsCertificateFile = certificate.CertificateFile,
            TlsPrivateKeyFile = certificate.KeyFile,
        };
        options = configure?.Invoke(options) ?? options;

        var logs = new LogSink();
        var app = await WebhookServer.CreateAsync(options, logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        return new WebhookInstance(app, address, authority.CreateClient(), logs, certificate);
    }

    /// <summary>Posts a review to <c>/mutate</c> as the API server does.</summary>
    public async Task<ReviewAnswer> ReviewAsync(JsonObject review) => await PostAsync(review.ToJsonString());

    public async Task<ReviewAnswer> PostAsync(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Client.PostAsync(new Uri(BaseUri, "/mutate"), content);
        return await ReviewAnswer.ReadAsync(response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
