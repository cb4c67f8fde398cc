using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrasAssemble.Hosting;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Configuration;
using OrasAssemble.Webhook.Logging;
using OrasAssemble.Webhook.Metrics;
using OrasAssemble.Webhook.Mutation;
using OrasAssemble.Webhook.PullSecrets;
using OrasAssemble.Webhook.Specs;
using OrasAssemble.Webhook.Tls;
using Prometheus;

namespace OrasAssemble.Webhook.Hosting;

/// <summary>
/// Builds the webhook's web application: Kestrel serving HTTPS on one address with a reloading certificate, and the
/// four endpoints. Everything the options name (config file, certificate pair) is read and checked here, before
/// anything listens, so a misconfigured webhook fails at start with a message naming the flag or file.
/// </summary>
internal static class WebhookServer
{
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string MetricsPath = "/metrics";

    /// <exception cref="WebhookStartupException">An option, the config file or the certificate pair cannot be used.</exception>
    public static async Task<WebApplication> CreateAsync(
        WebhookOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new WebhookStartupException(string.Join(Environment.NewLine, problems));
        }

        var (hosts, transfer, settings) = await LoadConfigAsync(options.ConfigFile, cancellationToken).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(BuilderOptions.For(WebhookCommandLine.Name));
        builder.Logging.ClearProviders();

        // One line per admission is ours to write; ASP.NET Core's per-request lines would double it.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
        else
        {
            configureLogging(builder.Logging);
        }

        var time = TimeProvider.System;
        var registryOptions = new RegistryClientOptions
        {
            Hosts = hosts,
            Credentials = options.RegistryConfigFile is { Length: > 0 } path ? new DockerConfigCredentialStore(path) : null,

            // An admission is waited on by a person or a controller: fewer, shorter retries than the CLI, all
            // within the resolve timeout anyway.
            Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1), MaxRetryAfter = TimeSpan.FromSeconds(2) },
            ConnectTimeout = options.ResolveTimeout,

            // The transfer: section is honoured, within the resolve timeout that bounds every admission.
            ResponseTimeout = transfer.ResponseTimeout < options.ResolveTimeout ? transfer.ResponseTimeout : options.ResolveTimeout,
            IdleTimeout = transfer.IdleTimeout,
            UserAgent = WebhookCommandLine.Name + "/1",
        };

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);

        // These two are made by the container so they are disposed with it.
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton(provider =>
        {
            var logger = provider.GetRequiredService<ILogger<RegistryClient>>();
            return new RegistryClient(registryOptions with
            {
                Retrying = retry => logger.RegistryRetry(retry.Target, retry.Registry, retry.Attempt, retry.MaxAttempts, retry.Cause),
            });
        });
        services.AddSingleton(new AdmissionPolicy(options.FailurePolicy, settings.Namespaces));
        services.AddSingleton(new PodMutator(options.DriverName));
        services.AddSingleton(new SpecResolverOptions { Timeout = options.ResolveTimeout, CacheTtl = options.SpecCacheTtl });
        services.AddSingleton<SpecResolver>();
        var apiServer = ApiServerConnection.Create(options);
        if (apiServer is not null)
        {
            // Made by the container, so the client is disposed with it.
            services.AddSingleton(_ => new ServiceAccountReader(apiServer, options.ApiTimeout));
        }

        services.AddSingleton(provider => new PullSecretSelector(provider.GetService<ServiceAccountReader>(), options.FailurePolicy));
        services.AddSingleton<AdmissionHandler>();
        services.AddSingleton(provider => LoadCertificate(options, time, provider.GetRequiredService<WebhookMetrics>(), provider.GetRequiredService<ILogger<CertificateReloader>>()));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            void Https(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                var certificates = listen.ApplicationServices.GetRequiredService<CertificateReloader>();
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = certificates.Current.Context,
                        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                    }),
                });
            }

            if (options.Listen.IsLocalhost)
            {
                kestrel.ListenLocalhost(options.Listen.Port, Https);
            }
            else
            {
                kestrel.Listen(options.Listen.Address!, options.Listen.Port, Https);
            }
        });

        var app = builder.Build();
        try
        {
            // Start-up fails here, not on the first handshake, when the pair cannot be loaded.
            _ = app.Services.GetRequiredService<CertificateReloader>();
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebhookServer).FullName!);
        MapEndpoints(app, logger);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            logger.Listening(string.Join(", ", app.Urls), options.FailurePolicy.ToString());
            if (apiServer is null)
            {
                logger.NoApiServer();
            }
        });
        return app;
    }

    private static void MapEndpoints(WebApplication app, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                // /mutate answers every failure itself; this is for the small endpoints, so none answers with an empty 500.
                logger.RequestFailed(e, context.Request.Method, context.Request.Path);
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync($"internal error: {e.GetType().Name}: {e.Message}\n").ConfigureAwait(false);
            }
        });

        app.MapPost(AdmissionEndpoint.Path, (HttpContext context, AdmissionHandler handler, WebhookOptions options) =>
            AdmissionEndpoint.HandleAsync(context, handler, options));
        app.MapGet(HealthPath, () => Results.Text("ok\n"));
        app.MapGet(ReadyPath, (CertificateReloader certificates, TimeProvider time) =>
        {
            var certificate = certificates.Current;
            var now = time.GetUtcNow();
            return now < certificate.NotBefore || now >= certificate.NotAfter
                ? Results.Text($"serving certificate is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u}, not now\n", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text("ok\n");
        });
        // Each scrape asks for the certificate in use, which also notices a pair replaced on disk.
        var metrics = app.Services.GetRequiredService<WebhookMetrics>();
        var certificates = app.Services.GetRequiredService<CertificateReloader>();
        metrics.Registry.AddBeforeCollectCallback(() => metrics.CertificateInUse(certificates.Current.NotAfter));
        app.MapMetrics(MetricsPath, metrics.Registry);
    }

    private static async Task<(HostSettings Hosts, TransferSettings Transfer, WebhookSettings Settings)> LoadConfigAsync(string? path, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            return (HostSettings.Empty, TransferSettings.Default, WebhookSettings.Default);
        }

        try
        {
            var file = await SettingsFile.LoadAsync(path, cancellationToken).ConfigureAwait(false);
            return (HostSettings.Read(file), TransferSettings.Read(file), WebhookSettingsParser.Read(file));
        }
        catch (HostSettingsException e)
        {
            throw new WebhookStartupException($"--config: {e.Message}", e);
        }
    }

    private static CertificateReloader LoadCertificate(WebhookOptions options, TimeProvider time, WebhookMetrics metrics, ILogger<CertificateReloader> logger)
    {
        try
        {
            return CertificateReloader.Load(options.TlsCertificateFile, options.TlsPrivateKeyFile, time, options.CertificateCheckInterval, metrics, logger);
        }
        catch (CertificateLoadException e)
        {
            throw new WebhookStartupException(e.Message, e);
        }
    }
}
