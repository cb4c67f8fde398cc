using OrasAssemble.Layout;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Containers;

/// <summary>
/// Real container images built from Debian packages by <c>scripts/build-image-corpus.sh</c>: the script runs once
/// per test run and keeps its result in <see cref="CacheDirectory"/>, so later runs find it at once. When the corpus
/// cannot be built (no Debian mirror, not root, tools missing) every test that asks for an image fails with the
/// script's own explanation; none passes without it.
/// </summary>
internal static class ImageCorpus
{
    /// <summary>Overrides <see cref="CacheDirectory"/>.</summary>
    public const string DirectoryVariable = "ORAS_ASSEMBLE_TEST_CORPUS";

    /// <summary><c>mmdebstrap --variant=minbase bookworm</c> as one layer, device nodes and usr-merge links included.</summary>
    public const string Minbase = "minbase";

    /// <summary>minbase and a layer with openjdk-17-jre-headless.</summary>
    public const string Openjdk = "openjdk";

    /// <summary>openjdk with the device nodes deleted from its first layer, so the executor accepts it as it is today.</summary>
    public const string OpenjdkNoDev = "openjdk-nodev";

    /// <summary>minbase and a layer with python3.</summary>
    public const string Python = "python";

    /// <summary>minbase and a layer whose only entry, <c>bin/x</c>, lands on minbase's link <c>bin -> usr/bin</c>.</summary>
    public const string UsrMergeWrite = "usrmerge-write";

    /// <summary>minbase and a layer <c>umoci insert</c> wrote, whose tar stops right after its one file's data.</summary>
    public const string UmociInsert = "umoci-insert";

    /// <summary>openjdk with tar+zstd layers.</summary>
    public const string Zstd = "zstd";

    private const string CorpusLine = "corpus: ";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(30);
    private static readonly Lazy<Task<string>> LazyLayout = new(BuildAsync);

    /// <summary><c>$ORAS_ASSEMBLE_TEST_CORPUS</c>, else <c>${XDG_CACHE_HOME:-~/.cache}/oras-assemble/test-corpus</c>.</summary>
    public static string CacheDirectory => FixtureCache.DirectoryFor(DirectoryVariable, "test-corpus");

    /// <summary>
    /// The image whose <c>umoci unpack</c> is the reference for <paramref name="tag"/>: the image itself, but for zstd,
    /// whose layers umoci 0.4.7 does not read; it holds openjdk's layer tars (the same diff_ids), so openjdk stands in.
    /// </summary>
    public static string ReferenceTagFor(string tag) => tag == Zstd ? Openjdk : tag;

    /// <summary>The image tagged <paramref name="tag"/> (one of this class's constants), building the corpus first if need be.</summary>
    public static async Task<CorpusImage> GetAsync(string tag)
    {
        var layout = await LazyLayout.Value.ConfigureAwait(false);
        using var store = await OciLayoutStore.OpenAsync(layout, new OciLayoutStoreOptions { CreateIfMissing = false }).ConfigureAwait(false);
        var manifest = await store.ResolveAsync(tag).ConfigureAwait(false);
        return new CorpusImage(tag, layout, manifest);
    }

    private static async Task<string> BuildAsync()
    {
        var script = RepositoryFiles.PathOf("scripts", "build-image-corpus.sh");
        var run = await ProgramRun.RunAsync("bash", [script, CacheDirectory], BuildTimeout).ConfigureAwait(false);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"The image corpus could not be built: '{run.CommandLine}' exited with code {run.ExitCode}. It needs root, the tools "
                + "scripts/install-test-deps.sh installs, and the Debian package mirror (deb.debian.org, or the one DEBIAN_MIRROR names). "
                + $"Its last lines:\n{run.Tail()}");
        }

        var line = run.Output.Split('\n').LastOrDefault(l => l.StartsWith(CorpusLine, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"'{run.CommandLine}' succeeded but did not say where the corpus is. It printed:\n{run.Tail()}");
        return line[CorpusLine.Length..];
    }
}
