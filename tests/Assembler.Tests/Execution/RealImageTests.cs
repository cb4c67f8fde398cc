using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Layout;
using OrasAssemble.Spec;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>Trees assembled from real images of the <see cref="ImageCorpus"/>, compared with what <c>umoci unpack</c> makes of them.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class RealImageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The image without minbase's device nodes, which the executor refuses for now; once it skips them, the same
    // comparison holds for ImageCorpus.Openjdk itself (SpecialFilesSkipped is already among the exceptions).
    [Fact]
    public async Task The_whole_openjdk_image_copied_to_the_root_is_what_umoci_unpacks_but_for_the_documented_exceptions()
    {
        var image = await ImageCorpus.GetAsync(ImageCorpus.OpenjdkNoDev);

        var tree = await AssembleWholeAsync(image);
        var reference = await ReferenceExtraction.UnpackAsync(image, _dir.Combine("bundle"));

        var differences = TreeComparison.Compare(reference, tree.Path, TreeComparisonExceptions.Current);
        Assert.True(differences.Count == 0, TreeComparison.Describe(differences));
        // usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/...: a chain of absolute links that now ends in the tree.
        var java = new FileInfo(Path.Join(tree.Path, "usr/bin/java")).ResolveLinkTarget(returnFinalTarget: true);
        Assert.NotNull(java);
        Assert.StartsWith(Path.Join(tree.Path, "usr/lib/jvm/java-17-openjdk-"), java.FullName, StringComparison.Ordinal);
        Assert.True(java.Exists);
    }

    /// <summary>Assembles a spec with one source, the image, copied whole to the tree's root.</summary>
    private async Task<AssembledTree> AssembleWholeAsync(CorpusImage image)
    {
        using var layout = await OciLayoutStore.OpenAsync(image.LayoutPath, new OciLayoutStoreOptions { CreateIfMissing = false });
        var executor = new SpecExecutor(
            TreeCache.Open(new CacheOptions { Root = _dir.Combine("cache") }),
            new StoreTargetLocator(layout, image.LayoutPath),
            new ExecutorOptions());
        var spec = SpecDocument.Load($$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: {{image.Tag}} }
            sources:
              img: { ref: "{{image.Reference}}" }
            steps:
              - copy: { from: img, path: /, to: / }
            """).GetValidSpec("assembly.yaml");
        return await executor.AssembleAsync(spec);
    }
}
