using System.Diagnostics;
using System.Security.Cryptography;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>
/// The grpc-go client of <c>tests/csi-grpc-client</c>, built with Debian's Go toolchain and grpc-go in GOPATH mode
/// (installed by <c>scripts/install-test-deps.sh</c>). The binary is cached under the temp directory, keyed on the
/// hash of the program's source, so it is built once per change.
/// </summary>
internal static class GoGrpcClient
{
    private static readonly SemaphoreSlim Building = new(1, 1);

    /// <summary>Debian's grpc-go and its dependencies.</summary>
    private const string SystemGopath = "/usr/share/gocode";

    public static async Task<string> BuildAsync()
    {
        var source = RepositoryFiles.PathOf("tests", "csi-grpc-client");
        var files = Directory.GetFiles(source, "*.go").Order(StringComparer.Ordinal).ToArray();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(await File.ReadAllBytesAsync(file));
        }

        var cache = Path.Combine(Path.GetTempPath(), "oras-assemble-csi-grpc-client", Convert.ToHexStringLower(hash.GetHashAndReset())[..16]);
        var binary = Path.Combine(cache, "csi-grpc-client");
        await Building.WaitAsync();
        try
        {
            if (File.Exists(binary))
            {
                return binary;
            }

            var work = Path.Combine(cache, "build");
            Directory.CreateDirectory(work);
            var start = new ProcessStartInfo("go", ["build", "-o", binary + ".partial", "."])
            {
                WorkingDirectory = source,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment =
                {
                    ["GO111MODULE"] = "off",
                    ["GOPATH"] = $"{Path.Combine(work, "gopath")}:{SystemGopath}",
                    ["GOCACHE"] = Path.Combine(work, "cache"),
                    ["GOFLAGS"] = "",
                },
            };
            var (exit, output) = await RunAsync(start, TimeSpan.FromMinutes(5));
            if (exit != 0)
            {
                throw new InvalidOperationException($"go build of {source} failed ({exit}); is golang-google-grpc-dev installed (scripts/install-test-deps.sh)?\n{output}");
            }

            File.Move(binary + ".partial", binary, overwrite: true);
            return binary;
        }
        finally
        {
            Building.Release();
        }
    }

    /// <summary>Runs the client; returns its exit code and its standard output and error.</summary>
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var binary = await BuildAsync();
        return await RunAsync(new ProcessStartInfo(binary, args) { RedirectStandardOutput = true, RedirectStandardError = true }, TimeSpan.FromMinutes(3));
    }

    private static async Task<(int Exit, string Output)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
