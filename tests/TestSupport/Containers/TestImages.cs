using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Containers;

/// <summary>
/// The node plugin and webhook images as <c>scripts/build-test-images.sh</c> builds them from this checkout, on a base
/// made from Debian packages. The script runs once per test process and keeps its result in
/// <see cref="CacheDirectory"/>, keyed on the sources, so an unchanged checkout finds its images at once (and a run of
/// <c>scripts/test.sh</c> that started the build in the background waits for it). When the images cannot be built
/// every test that asks for them fails with the script's own explanation; none passes without them.
/// </summary>
internal static class TestImages
{
    /// <summary>Overrides <see cref="CacheDirectory"/>.</summary>
    public const string DirectoryVariable = "ORAS_ASSEMBLE_TEST_IMAGES";

    /// <summary>The node plugin's tag in the layout.</summary>
    public const string Csi = "csi";

    /// <summary>The webhook's tag in the layout.</summary>
    public const string Webhook = "webhook";

    private const string LayoutLine = "layout: ";

    /// <summary>A cold build (base and both images) takes about 6 minutes on an idle 2-core machine.</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(30);

    private static readonly Lazy<Task<string>> LazyLayout = new(BuildAsync);

    /// <summary><c>$ORAS_ASSEMBLE_TEST_IMAGES</c>, else <c>${XDG_CACHE_HOME:-~/.cache}/oras-assemble/test-images</c>.</summary>
    public static string CacheDirectory => FixtureCache.DirectoryFor(DirectoryVariable, "test-images");

    /// <summary>The OCI image layout that holds the tags <see cref="Csi"/> and <see cref="Webhook"/>, built first if need be.</summary>
    public static Task<string> GetLayoutAsync() => LazyLayout.Value;

    private static async Task<string> BuildAsync()
    {
        var script = RepositoryFiles.PathOf("scripts", "build-test-images.sh");
        var run = await ProgramRun.RunAsync("bash", [script, CacheDirectory], BuildTimeout).ConfigureAwait(false);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"The plugin and webhook images could not be built: '{run.CommandLine}' exited with code {run.ExitCode}. It needs root, "
                + "the tools scripts/install-test-deps.sh installs, the Debian package mirror (deb.debian.org, or the one DEBIAN_MIRROR "
                + $"names) and NuGet. Its last lines:\n{run.Tail()}");
        }

        var line = run.Output.Split('\n').LastOrDefault(l => l.StartsWith(LayoutLine, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"'{run.CommandLine}' succeeded but did not say where the images are. It printed:\n{run.Tail()}");
        return line[LayoutLine.Length..];
    }
}
