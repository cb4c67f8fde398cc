using OrasAssemble.Tests.Containers;

namespace OrasAssemble.Tests.TestSupport;

/// <summary>
/// The tree a container runtime would see: <c>umoci unpack</c> of an image (run as root, so owners, device nodes and
/// setuid bits are as the layers say), the extraction the executor's trees are compared with.
/// </summary>
internal static class ReferenceExtraction
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>Unpacks <paramref name="image"/> into the new directory <paramref name="bundle"/>; returns its <c>rootfs</c>.</summary>
    public static async Task<string> UnpackAsync(CorpusImage image, string bundle)
    {
        ArgumentNullException.ThrowIfNull(image);
        var run = await ProgramRun.RunAsync("umoci", ["unpack", "--image", image.LayoutReference, bundle], Timeout).ConfigureAwait(false);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{run.CommandLine}' exited with code {run.ExitCode}:\n{run.Tail()}");
        }

        return Path.Combine(bundle, "rootfs");
    }
}
