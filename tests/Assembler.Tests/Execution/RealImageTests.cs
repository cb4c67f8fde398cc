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

    // openjdk-nodev is openjdk without minbase's device nodes, which this executor refuses. An executor that skips
    // device nodes, reads zstd and follows in-tree links is held to the same comparison for every image of the corpus.
    [Theory]
    [InlineData(ImageCorpus.OpenjdkNoDev)]
    public async Task A_whole_image_copied_to_the_root_is_what_umoci_unpacks_but_for_the_documented_exceptions(string tag)
    {
        var image = await ImageCorpus.GetAsync(tag);

        var tree = await AssembleWholeAsync(image);
        var reference = await ReferenceExtraction.UnpackAsync(await ImageCorpus.GetAsync(ImageCorpus.ReferenceTagFor(tag)), _dir.Combine("bundle"));

        var differences = TreeComparison.Compare(reference, tree.Path, TreeComparisonExceptions.Current);
        Assert.True(differences.Count == 0, TreeComparison.Describe(differences));
    }

    [Fact]
    public async Task Java_in_the_assembled_openjdk_tree_is_reached_through_its_absolute_links_inside_the_tree()
    {
        var tree = await AssembleWholeAsync(await ImageCorpus.GetAsync(ImageCorpus.OpenjdkNoDev));

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
