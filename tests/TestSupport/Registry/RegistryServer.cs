using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// A real CNCF Distribution registry (<c>docker-registry serve</c>) on 127.0.0.1, plain HTTP, with its storage
/// in a fresh temporary directory. Everything it prints is captured; its access log is parsed into
/// <see cref="Requests"/>. Install the binary with <c>scripts/install-test-deps.sh</c>.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    public const string BasicRealm = "oras-assemble-test";

    private const string Executable = "docker-registry";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan LogSyncTimeout = TimeSpan.FromSeconds(10);

    // htpasswd's bcrypt takes a moment and its output never changes, so one run serves every Basic registry.
    private static readonly Lazy<Task<string>> HtpasswdFile = new(CreateHtpasswdFileAsync);

    private readonly Process process;
    private readonly RegistryOutput output;
    private readonly HttpClient probe;
    private readonly TokenIssuer? issuer;
    private int disposed;

    private RegistryServer(RegistryAuth mode, string directory, int port, Process process, RegistryOutput output, HttpClient probe, TokenIssuer? issuer)
    {
        Mode = mode;
        RootDirectory = directory;
        Host = $"127.0.0.1:{port}";
        BaseUri = new Uri($"http://{Host}/");
        this.process = process;
        this.output = output;
        this.probe = probe;
        this.issuer = issuer;
    }

    public RegistryAuth Mode { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of a reference.</summary>
    public string Host { get; }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The user that may pull and push (Basic and Token modes; an anonymous registry ignores it).</summary>
    public string Username => TestUsers.Username;

    public string Password => TestUsers.Password;

    /// <summary>A second user; with <see cref="RegistryAuth.Token"/> it may only pull.</summary>
    public string ReadOnlyUsername => TestUsers.ReadOnlyUsername;

    public string ReadOnlyPassword => TestUsers.ReadOnlyPassword;

    /// <summary>The temporary directory holding config.yml and, under <c>storage/</c>, the registry's content.</summary>
    public string RootDirectory { get; }

    public string StorageDirectory => Path.Combine(RootDirectory, "storage");

    /// <summary>The token server of a <see cref="RegistryAuth.Token"/> registry.</summary>
    public TokenIssuer TokenIssuer => issuer ?? throw new InvalidOperationException($"A {Mode} registry has no token issuer.");

    /// <summary>
    /// Every request the registry has answered since start or the last <see cref="ClearRequests"/>, oldest first.
    /// Reading it first waits until the access log has caught up with every response already received.
    /// </summary>
    public IReadOnlyList<RegistryRequest> Requests
    {
        get
        {
            SyncLog();
            return output.Requests;
        }
    }

    /// <summary>Everything the registry printed so far, stdout and stderr interleaved, for diagnostics.</summary>
    public string Output => output.Text;

    public static async Task<RegistryServer> StartAsync(RegistryAuth mode, CancellationToken ct = default)
    {
        // Another process can take the probed port before the registry binds it; a fresh port fixes that.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(mode, ct).ConfigureAwait(false);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Number of logged requests with this method whose path (with query) starts with <paramref name="pathPrefix"/>.</summary>
    public int Count(string method, string pathPrefix) =>
        Requests.Count(r => string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)
            && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    /// <summary>Number of logged requests with this method whose path (with query) matches <paramref name="pathPattern"/>.</summary>
    public int Count(string method, Regex pathPattern)
    {
        ArgumentNullException.ThrowIfNull(pathPattern);
        return Requests.Count(r => string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase) && pathPattern.IsMatch(r.Path));
    }

    /// <summary>Forgets the requests logged so far, after waiting for the log to catch up with them.</summary>
    public void ClearRequests()
    {
        SyncLog();
        output.ClearRequests();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
            probe.Dispose();
            if (issuer is not null)
            {
                await issuer.DisposeAsync().ConfigureAwait(false);
            }

            TryDeleteDirectory(RootDirectory);
        }
    }

    private static async Task<RegistryServer> StartOnceAsync(RegistryAuth mode, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("oras-assemble-registry-").FullName;
        TokenIssuer? issuer = null;
        Process? process = null;
        var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var port = FreePort();
            string? auth = null;
            switch (mode)
            {
                case RegistryAuth.Basic:
                    var htpasswd = Path.Combine(directory, "htpasswd");
                    await File.WriteAllTextAsync(htpasswd, await HtpasswdFile.Value.ConfigureAwait(false), ct).ConfigureAwait(false);
                    auth = $"""
                        auth:
                          htpasswd:
                            realm: {BasicRealm}
                            path: {Quote(htpasswd)}
                        """;
                    break;
                case RegistryAuth.Token:
                    issuer = await TokenIssuer.StartAsync(ct: ct).ConfigureAwait(false);
                    var bundle = Path.Combine(directory, "token-issuer.pem");
                    await File.WriteAllTextAsync(bundle, issuer.CertificatePem, ct).ConfigureAwait(false);
                    auth = $"""
                        auth:
                          token:
                            realm: {Quote(issuer.Realm.ToString())}
                            service: {Quote(issuer.Service)}
                            issuer: {Quote(issuer.Issuer)}
                            rootcertbundle: {Quote(bundle)}
                        """;
                    break;
            }

            var config = Path.Combine(directory, "config.yml");
            await File.WriteAllTextAsync(config, CreateConfig(directory, port, auth), ct).ConfigureAwait(false);

            var output = new RegistryOutput();
            process = Launch(config, directory, output);
            var server = new RegistryServer(mode, directory, port, process, output, probe, issuer);
            try
            {
                await server.WaitUntilReadyAsync(ct).ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return server;
        }
        catch when (process is null)
        {
            // Before the server object exists nothing else will clean up.
            probe.Dispose();
            if (issuer is not null)
            {
                await issuer.DisposeAsync().ConfigureAwait(false);
            }

            TryDeleteDirectory(directory);
            throw;
        }
    }

    private static Process Launch(string config, string directory, RegistryOutput output)
    {
        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList = { "serve", config },
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };

        // REGISTRY_* variables override config.yml; an inherited one would make the fixture depend on the caller.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("REGISTRY_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => output.Append(e.Data);
        process.ErrorDataReceived += (_, e) => output.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Cannot run '{Executable}' ({e.Message}). Install it with scripts/install-test-deps.sh (Debian package docker-registry).", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string CreateConfig(string directory, int port, string? auth)
    {
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var config = new StringBuilder($"""
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {Quote(Path.Combine(directory, "storage"))}
              delete:
                enabled: true
              maintenance:
                uploadpurging:
                  enabled: false
            http:
              addr: 127.0.0.1:{port}
              secret: {secret}

            """);
        if (auth is not null)
        {
            config.Append(auth).Append('\n');
        }

        return config.ToString();
    }

    // Single-quoted YAML scalars only need their quotes doubled.
    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                var text = output.Text;
                if (text.Contains("address already in use", StringComparison.Ordinal))
                {
                    throw new PortTakenException();
                }

                throw new InvalidOperationException(
                    $"{Executable} exited with code {process.ExitCode} before answering on {Host}. Its output:\n{text}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "/v2/"));
                request.Headers.TryAddWithoutValidation("User-Agent", RegistryOutput.FixtureAgentPrefix + "probe");
                using var response = await probe.SendAsync(request, ct).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
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
                throw new TimeoutException(
                    $"{Executable} did not answer GET /v2/ on {Host} within {StartTimeout.TotalSeconds:0} s. Its output:\n{output.Text}");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a request tagged with a unique User-Agent and waits for its access-log line. The registry writes
    /// its lines in order, so once the tag shows up every earlier response is in the log too.
    /// </summary>
    private void SyncLog()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var (agent, seen) = output.NewMarker();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "/v2/"));
            request.Headers.TryAddWithoutValidation("User-Agent", agent);
            using (probe.Send(request))
            {
            }

            if (!seen.Wait(LogSyncTimeout))
            {
                throw new TimeoutException($"The access log of the registry on {Host} did not show a request within {LogSyncTimeout.TotalSeconds:0} s.");
            }
        }
        finally
        {
            output.ForgetMarker(agent);
        }
    }

    private static async Task<string> CreateHtpasswdFileAsync()
    {
        var lines = new StringBuilder();
        foreach (var (user, password) in new[] { (TestUsers.Username, TestUsers.Password), (TestUsers.ReadOnlyUsername, TestUsers.ReadOnlyPassword) })
        {
            var start = new ProcessStartInfo("htpasswd")
            {
                ArgumentList = { "-Bbn", user, password },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            Process tool;
            try
            {
                tool = Process.Start(start) ?? throw new InvalidOperationException("htpasswd did not start.");
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"Cannot run 'htpasswd' ({e.Message}). Install it with scripts/install-test-deps.sh (Debian package apache2-utils).", e);
            }

            using (tool)
            {
                var stdout = tool.StandardOutput.ReadToEndAsync();
                var stderr = tool.StandardError.ReadToEndAsync();
                await tool.WaitForExitAsync().ConfigureAwait(false);
                if (tool.ExitCode != 0)
                {
                    throw new InvalidOperationException($"htpasswd failed with code {tool.ExitCode}: {await stderr.ConfigureAwait(false)}");
                }

                lines.Append((await stdout.ConfigureAwait(false)).Trim()).Append('\n');
            }
        }

        return lines.ToString();
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test run over.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class PortTakenException : Exception;
}
