using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// The pull-through mirror deploy/mirror ships, as a real nginx on 127.0.0.1: its server configuration is the
/// template deploy/mirror/server/mirror.conf.template filled as the nginx image fills it at start, inside a minimal
/// main configuration of the kind the image has. Its access log (the template's format) is kept in <see cref="Requests"/>.
/// </summary>
internal sealed partial class NginxMirror : IAsyncDisposable
{
    private const string Executable = "nginx";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private int _stopped;

    private NginxMirror(TempDirectory directory, int port, Process process, ConcurrentQueue<string> output)
    {
        _directory = directory;
        Host = $"127.0.0.1:{port}";
        _process = process;
        _output = output;
    }

    /// <summary>The template's path in the repository, the one file deploy and tests configure nginx from.</summary>
    public static string TemplatePath => RepositoryFiles.PathOf("deploy", "mirror", "server", "mirror.conf.template");

    /// <summary><c>127.0.0.1:PORT</c>, the mirror's entry in a node's <c>mirrors:</c>.</summary>
    public string Host { get; }

    /// <summary>Every request the mirror logged so far, oldest first.</summary>
    public IReadOnlyList<MirrorRequest> Requests =>
        [.. _output.Select(line => MirrorRequest.TryParse(line, out var request) ? request : null).OfType<MirrorRequest>()];

    /// <summary>Everything nginx printed, for diagnostics.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Fills the template the way the nginx image's envsubst does: only the variables given are replaced.</summary>
    public static string Render(IReadOnlyDictionary<string, string> variables)
    {
        var text = File.ReadAllText(TemplatePath);
        var rendered = TemplateVariable().Replace(text, m => variables.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
        if (TemplateVariable().Match(rendered) is { Success: true } left)
        {
            throw new InvalidOperationException($"{TemplatePath} uses {left.Value}, which the test mirror does not set");
        }

        return rendered;
    }

    /// <summary>The <c>${NAME}</c> variables the template uses.</summary>
    public static IReadOnlySet<string> TemplateVariables() =>
        TemplateVariable().Matches(File.ReadAllText(TemplatePath)).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Starts nginx in front of <paramref name="upstream"/> (<c>http://host:port</c>).</summary>
    public static async Task<NginxMirror> StartAsync(Uri upstream, string authorization = "")
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(upstream, authorization);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Kills nginx, master and workers, as a node losing the mirror's pod sees it: connections reset, then refused.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process.Dispose();
            _directory.Dispose();
        }
    }

    private static async Task<NginxMirror> StartOnceAsync(Uri upstream, string authorization)
    {
        var directory = new TempDirectory();
        try
        {
            // nginx's workers run as nobody and must reach the cache and temp directories below this one.
            File.SetUnixFileMode(directory.Path, (UnixFileMode)Convert.ToInt32("755", 8));
            var port = FreePort();
            var conf = directory.Combine("mirror.conf");
            await File.WriteAllTextAsync(conf, Render(new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["MIRROR_LISTEN"] = $"127.0.0.1:{port}",
                ["MIRROR_UPSTREAM"] = upstream.GetLeftPart(UriPartial.Authority),
                ["MIRROR_UPSTREAM_AUTHORIZATION"] = authorization,
                ["MIRROR_CACHE_DIR"] = directory.Combine("cache"),
                ["MIRROR_CACHE_MAX_SIZE"] = "1g",
            }));
            var main = directory.Combine("nginx.conf");
            await File.WriteAllTextAsync(main, $$"""
                daemon off;
                worker_processes 2;
                pid {{directory.Combine("nginx.pid")}};
                error_log stderr notice;
                events { worker_connections 1024; }
                http {
                    client_body_temp_path {{directory.Combine("temp", "body")}};
                    proxy_temp_path {{directory.Combine("temp", "proxy")}};
                    fastcgi_temp_path {{directory.Combine("temp", "fastcgi")}};
                    uwsgi_temp_path {{directory.Combine("temp", "uwsgi")}};
                    scgi_temp_path {{directory.Combine("temp", "scgi")}};
                    include {{conf}};
                }
                """);
            System.IO.Directory.CreateDirectory(directory.Combine("temp"));

            var output = new ConcurrentQueue<string>();
            var process = Launch(directory.Path, main, output);
            var mirror = new NginxMirror(directory, port, process, output);
            try
            {
                await mirror.WaitUntilReadyAsync();
            }
            catch
            {
                await mirror.KillAsync();
                process.Dispose();
                throw;
            }

            return mirror;
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    private static Process Launch(string prefix, string config, ConcurrentQueue<string> output)
    {
        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList = { "-p", prefix, "-e", "stderr", "-c", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Cannot run '{Executable}' ({e.Message}). Install it with scripts/install-test-deps.sh (Debian package nginx-light).", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitUntilReadyAsync()
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                if (Output.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new PortTakenException();
                }

                throw new InvalidOperationException($"nginx exited with code {_process.ExitCode} before answering on {Host}. Its output:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri($"http://{Host}/healthz"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"nginx did not answer GET /healthz on {Host} within {StartTimeout.TotalSeconds:0} s. Its output:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"\$\{(MIRROR_[A-Z_]+)\}")]
    private static partial Regex TemplateVariable();

    private sealed class PortTakenException : Exception;
}
