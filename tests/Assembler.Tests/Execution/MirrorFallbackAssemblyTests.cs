using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.AspNetCore.Http;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>
/// An assembly whose registry has a mirror that fails: dead, lying, slow. Each time the registry itself serves the
/// content, the tree is right, no bad byte reaches the cache, and the failure is reported with its reason.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class MirrorFallbackAssemblyTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private const string Payload = "payload served by the registry itself";

    private static readonly HttpClient Forwarder = new();

    private readonly RegistryClient _setup = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private readonly TempDirectory _dir = new();
    private readonly ConcurrentQueue<MirrorFailure> _failures = new();

    private RegistryServer Server => fixture.Server;

    public void Dispose()
    {
        _setup.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_dead_mirror_is_passed_over_as_unreachable_and_the_registry_serves_the_tree()
    {
        var spec = await PushSpecAsync("mirror-dead");
        var mirror = $"127.0.0.1:{RefusedPort()}";
        using var counted = new FailureCounter(mirror);

        var tree = await AssembleAsync(spec, mirror, "5s");

        AssertTree(tree);
        Assert.NotEmpty(_failures);
        Assert.All(_failures, f => Assert.Equal((mirror, Server.Host, MirrorFailureReason.Unreachable), (f.Mirror, f.Registry, f.Reason)));
        Assert.Contains(_failures, f => f.Target.StartsWith("blob sha256:", StringComparison.Ordinal));
        Assert.Contains(_failures, f => f.Target.StartsWith("manifest mirror-dead/app@sha256:", StringComparison.Ordinal));
        Assert.Equal(_failures.Count, counted.Count("unreachable"));
    }

    [Fact]
    public async Task A_mirror_that_flips_a_byte_of_blobs_and_manifests_is_passed_over_and_nothing_it_sent_is_cached()
    {
        var spec = await PushSpecAsync("mirror-lying");
        await using var mirror = await FaultyRegistry.StartAsync();
        mirror.Fault = Forward(Server.Host, TimeSpan.Zero, body => body[^1] ^= 0x01);
        using var counted = new FailureCounter(mirror.Host);

        var tree = await AssembleAsync(spec, mirror.Host, "5s");

        AssertTree(tree);
        Assert.Contains(_failures, f => f.Target.StartsWith("blob sha256:", StringComparison.Ordinal));
        Assert.Contains(_failures, f => f.Target.StartsWith("manifest mirror-lying/app@sha256:", StringComparison.Ordinal));
        Assert.All(_failures, f => Assert.Equal(MirrorFailureReason.Mismatch, f.Reason));
        Assert.All(_failures, f => Assert.Contains("digest mismatch", f.Cause, StringComparison.Ordinal));
        Assert.Equal(_failures.Count, counted.Count("mismatch"));
        Assert.True(mirror.Count("GET", "/v2/mirror-lying/app/blobs/") > 0);

        // The mirror's version of the payload (its last byte flipped) is nowhere in the cache.
        var lie = Encoding.UTF8.GetBytes(Payload);
        lie[^1] ^= 0x01;
        Assert.DoesNotContain(Directory.EnumerateFiles(_dir.Combine("cache"), "*", SearchOption.AllDirectories),
            file => new FileInfo(file).LinkTarget is null && File.ReadAllBytes(file).AsSpan().IndexOf(lie) >= 0);
    }

    [Fact]
    public async Task A_mirror_slower_than_its_mirror_timeout_is_passed_over_as_a_timeout()
    {
        var spec = await PushSpecAsync("mirror-slow");
        await using var mirror = await FaultyRegistry.StartAsync();
        mirror.Fault = Forward(Server.Host, TimeSpan.FromSeconds(10), _ => { });
        using var counted = new FailureCounter(mirror.Host);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var tree = await AssembleAsync(spec, mirror.Host, "200ms");

        AssertTree(tree);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}: {string.Join("; ", _failures)}");
        Assert.NotEmpty(_failures);
        Assert.All(_failures, f => Assert.Equal(MirrorFailureReason.Timeout, f.Reason));
        Assert.All(_failures, f => Assert.Equal("no response headers within 200ms (mirrorTimeout)", f.Cause));
        Assert.Equal(_failures.Count, counted.Count("timeout"));
    }

    private async Task<AssembledTree> AssembleAsync(ValidSpec spec, string mirror, string mirrorTimeout)
    {
        using var client = new RegistryClient(new RegistryClientOptions
        {
            Hosts = HostSettings.Parse($$"""
                registries:
                  "{{Server.Host}}": { plainHttp: true, mirrors: ["{{mirror}}"] }
                  "{{mirror}}": { plainHttp: true, mirrorTimeout: {{mirrorTimeout}} }
                """),
            Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(5) },
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MirrorFailed = _failures.Enqueue,
        });
        return await new SpecExecutor(TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") }), new RegistryTargetLocator(client))
            .AssembleAsync(spec);
    }

    private static void AssertTree(AssembledTree tree) => Assert.Equal(new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["conf"] = "dir 0755",
        ["conf/app.properties"] = "file 0644 greeting=origin",
        ["payload.txt"] = $"file 0644 {Payload}",
    }, TreeSnapshot.Take(tree.Path));

    private async Task<ValidSpec> PushSpecAsync(string prefix)
    {
        await ContentBuilder.PushArtifactAsync(_setup.GetRepository($"{Server.Host}/{prefix}/app"), "1.0",
            [("payload.txt", Payload, "text/plain")],
            [("conf", new TarBuilder().Directory("conf").File("conf/app.properties", "greeting=origin"))]);
        return SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: mirror-test }
            sources:
              app: { ref: {{Server.Host}}/{{prefix}}/app:1.0 }
            steps:
              - copy: { from: app, path: payload.txt, to: /payload.txt }
              - copy: { from: app, path: conf, to: /conf }
            """).GetValidSpec();
    }

    /// <summary>A mirror that answers with what the registry answers, after <paramref name="delay"/>, altered by <paramref name="alter"/>.</summary>
    private static Func<HttpContext, int, Task<bool>> Forward(string origin, TimeSpan delay, Action<byte[]> alter) => async (context, _) =>
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return true;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), $"http://{origin}{context.Request.Path}{context.Request.QueryString}");
        foreach (var header in new[] { "Accept", "Range" })
        {
            if (context.Request.Headers[header].ToString() is { Length: > 0 } value)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }
        }

        using var response = await Forwarder.SendAsync(request, context.RequestAborted);
        var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (context.Request.Method == "GET" && response.IsSuccessStatusCode && body.Length > 0)
        {
            alter(body);
        }

        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var digest))
        {
            context.Response.Headers["Docker-Content-Digest"] = digest.First();
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
        return true;
    };

    /// <summary>A loopback port nothing listens on: bound, then closed.</summary>
    internal static int RefusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>What the <c>orasassemble.registry.mirror_failures</c> counter records for one mirror, by reason.</summary>
    internal sealed class FailureCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _byReason = new(StringComparer.Ordinal);

        public FailureCounter(string mirror)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument is { Meter.Name: "OrasAssemble.Registry", Name: "orasassemble.registry.mirror_failures" })
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? host = null, reason = null;
                foreach (var tag in tags)
                {
                    host = tag.Key == "mirror" ? tag.Value as string : host;
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }

                if (host == mirror && reason is not null)
                {
                    _byReason.AddOrUpdate(reason, value, (_, n) => n + value);
                }
            });
            _listener.Start();
        }

        public long Count(string reason) => _byReason.GetValueOrDefault(reason);

        public void Dispose() => _listener.Dispose();
    }
}
