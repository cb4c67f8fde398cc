using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrasAssemble.Registry.Auth;

/// <summary>
/// Talks to a docker credential helper program (<c>docker-credential-&lt;name&gt; get|store|erase</c>) using the
/// protocol of docker/docker-credential-helpers: the server address or a JSON document on stdin, JSON on stdout.
/// </summary>
internal sealed partial class CredentialHelper
{
    public const string ProgramPrefix = "docker-credential-";

    // What docker-credential-helpers print when nothing is stored; helpers outside that project copy it.
    private const string NotFoundMarker = "credentials not found";

    // The username docker uses to mark the secret as an identity (refresh) token.
    private const string TokenUsername = "<token>";

    private const int MaxErrorLength = 1000;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly JsonSerializerOptions PayloadOptions = new() { PropertyNameCaseInsensitive = true };

    private readonly IReadOnlyList<string> searchPath;
    private readonly TimeSpan timeout;

    public CredentialHelper(string name, IReadOnlyList<string> searchPath, TimeSpan timeout)
    {
        // The name comes from a config file and becomes part of a program path: never let it climb directories.
        if (!HelperName().IsMatch(name))
        {
            throw new CredentialHelperException(ProgramPrefix + name, "invalid credential helper name");
        }

        ProgramName = ProgramPrefix + name;
        this.searchPath = searchPath;
        this.timeout = timeout;
    }

    public string ProgramName { get; }

    public async Task<Credential> GetAsync(string serverAddress, CancellationToken cancellationToken)
    {
        var result = await RunAsync("get", serverAddress, secret: null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            if (result.IsNotFound)
            {
                return Credential.Empty;
            }

            throw Failure("get", result, secret: null);
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(result.Stdout, PayloadOptions);
        }
        catch (JsonException)
        {
            // The output may hold a secret, so neither it nor the parser's message (which can quote it) is kept.
            throw new CredentialHelperException(ProgramName, "\"get\" printed something that is not the expected JSON");
        }

        if (payload is null || string.IsNullOrEmpty(payload.Secret) && string.IsNullOrEmpty(payload.Username))
        {
            return Credential.Empty;
        }

        return payload.Username == TokenUsername
            ? new Credential(RefreshToken: payload.Secret)
            : new Credential(Username: NullIfEmpty(payload.Username), Password: NullIfEmpty(payload.Secret));
    }

    public async Task StoreAsync(string serverAddress, Credential credential, CancellationToken cancellationToken)
    {
        Payload payload;
        if (!string.IsNullOrEmpty(credential.RefreshToken))
        {
            payload = new Payload(serverAddress, TokenUsername, credential.RefreshToken);
        }
        else if (!string.IsNullOrEmpty(credential.Username) || !string.IsNullOrEmpty(credential.Password))
        {
            payload = new Payload(serverAddress, credential.Username ?? "", credential.Password ?? "");
        }
        else
        {
            throw new ArgumentException(
                "a credential helper stores a username and password or an identity token, not an access token alone",
                nameof(credential));
        }

        var input = JsonSerializer.Serialize(payload);
        var result = await RunAsync("store", input, payload.Secret, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failure("store", result, payload.Secret);
        }
    }

    public async Task EraseAsync(string serverAddress, CancellationToken cancellationToken)
    {
        var result = await RunAsync("erase", serverAddress, secret: null, cancellationToken).ConfigureAwait(false);

        // Erasing what is not there already has the outcome the caller wants.
        if (result.ExitCode != 0 && !result.IsNotFound)
        {
            throw Failure("erase", result, secret: null);
        }
    }

    private async Task<Result> RunAsync(string action, string input, string? secret, CancellationToken cancellationToken)
    {
        var program = Locate();
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
        };
        startInfo.ArgumentList.Add(action);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new CredentialHelperException(ProgramName, $"could not be started ({e.Message})", inner: e);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // Read both pipes while writing stdin, so a chatty helper can never block on a full pipe.
            var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
            var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), deadline.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The helper quit without reading its input; its exit code and output say why.
            }

            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return new Result(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new CredentialHelperException(ProgramName, $"\"{action}\" did not finish within {timeout.TotalSeconds:0.###} s");
        }
    }

    private string Locate()
    {
        foreach (var directory in searchPath)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                continue;
            }

            var candidate = Path.Combine(directory, OperatingSystem.IsWindows() ? ProgramName + ".exe" : ProgramName);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        throw new CredentialHelperException(ProgramName, "not found in the helper search path (PATH)");
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    private CredentialHelperException Failure(string action, Result result, string? secret)
    {
        // Helpers built on docker-credential-helpers report errors on stdout; others use stderr.
        var text = (string.IsNullOrWhiteSpace(result.Stderr) ? result.Stdout : result.Stderr).Trim();
        if (!string.IsNullOrEmpty(secret))
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        if (text.Length > MaxErrorLength)
        {
            text = text[..MaxErrorLength] + "…";
        }

        return new CredentialHelperException(ProgramName, $"\"{action}\" failed with exit code {result.ExitCode}", text);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex HelperName();

    private sealed record Payload(string? ServerURL, string? Username, string? Secret);

    private sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public bool IsNotFound =>
            Stdout.Contains(NotFoundMarker, StringComparison.OrdinalIgnoreCase)
            || Stderr.Contains(NotFoundMarker, StringComparison.OrdinalIgnoreCase);
    }
}
