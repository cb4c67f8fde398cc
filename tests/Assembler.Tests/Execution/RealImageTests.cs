using OrasAssemble.Tests.Containers;
using System.Runtime.Versioning;
using OrasAssemble.Cache;
using OrasAssemble.Execution;
using OrasAssemble.Layout;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Execution;

/// <summary>Trees assembled from real images of the <see cref="ImageCorpus"/>, compared with what <c>umoci unpack</c> makes of them.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class RealImageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Device nodes are left out, zstd layers read, entries under usr-merge links placed where the links lead, and a tar
    // without end blocks read whole: every image of the corpus is held to the same comparison, owners and times
    // included. The umoci-insert layer lists no parent directories: umoci gives them and the directory they are added
    // to the time of the unpack, the executor the epoch and the directory's own time, so that one tree is the same on
    // every node (spec: "How sources are read"); there times are not compared.
    [Theory]
    [InlineData(ImageCorpus.Minbase, true)]
    [InlineData(ImageCorpus.Openjdk, true)]
    [InlineData(ImageCorpus.Python, true)]
    [InlineData(ImageCorpus.UsrMergeWrite, true)]
    [InlineData(ImageCorpus.UmociInsert, false)]
    [InlineData(ImageCorpus.Zstd, true)]
    public async Task A_whole_image_copied_to_the_root_is_what_umoci_unpacks_but_for_the_documented_exceptions(string tag, bool timesCompared)
    {
        var image = await ImageCorpus.GetAsync(tag);

        var tree = await AssembleWholeAsync(image);
        var reference = await ReferenceExtraction.UnpackAsync(await ImageCorpus.GetAsync(ImageCorpus.ReferenceTagFor(tag)), _dir.Combine("bundle"));

        var exceptions = TreeComparisonExceptions.All with { OwnersIgnored = false, MtimesIgnored = !timesCompared };
        var differences = TreeComparison.Compare(reference, tree.Path, exceptions);
        Assert.True(differences.Count == 0, TreeComparison.Describe(differences));
    }

    [Fact]
    public async Task Java_in_the_assembled_openjdk_tree_is_reached_through_its_absolute_links_inside_the_tree()
    {
        var tree = await AssembleWholeAsync(await ImageCorpus.GetAsync(ImageCorpus.Openjdk));

        // usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/...: a chain of absolute links that now ends in the tree.
        var java = new FileInfo(Path.Join(tree.Path, "usr/bin/java")).ResolveLinkTarget(returnFinalTarget: true);
        Assert.NotNull(java);
        Assert.StartsWith(Path.Join(tree.Path, "usr/lib/jvm/java-17-openjdk-"), java.FullName, StringComparison.Ordinal);
        Assert.True(java.Exists);
    }

    [Fact]
    public async Task The_JRE_copied_out_of_the_real_openjdk_image_runs_from_the_tree()
    {
        // Debian's JDK links its conf files into /etc: those links are copied as the files they point to.
        var tree = await AssembleAsync(await ImageCorpus.GetAsync(ImageCorpus.Openjdk), "- copy: { from: img, path: /usr/lib/jvm, to: /jvm }");

        var java = Path.Join(tree.Path, "jvm/java-17-openjdk-amd64/bin/java");
        var run = await ProgramRun.RunAsync(java, ["-version"], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("openjdk version \"17.", run.Output, StringComparison.Ordinal);
        Assert.Null(new FileInfo(Path.Join(tree.Path, "jvm/java-17-openjdk-amd64/conf/security")).LinkTarget);
        Assert.True(File.Exists(Path.Join(tree.Path, "jvm/java-17-openjdk-amd64/conf/security/java.security")));
    }

    [Fact]
    public async Task The_python_images_compiled_modules_stay_valid_for_their_sources_and_its_dev_nodes_are_counted()
    {
        var tree = await AssembleWholeAsync(await ImageCorpus.GetAsync(ImageCorpus.Python));

        // A timestamp-based .pyc header holds its source's mtime and size (little-endian, after the magic and the flags):
        // when they match the source in the tree, python uses the .pyc and never recompiles it.
        var checkedModules = 0;
        var stale = new List<string>();
        foreach (var pyc in Directory.EnumerateFiles(Path.Join(tree.Path, "usr/lib"), "*.pyc", SearchOption.AllDirectories))
        {
            var cache = Path.GetDirectoryName(pyc)!;
            var source = Path.Join(Path.GetDirectoryName(cache), Path.GetFileName(pyc).Split('.')[0] + ".py");
            var header = new byte[16];
            using (var stream = File.OpenRead(pyc))
            {
                stream.ReadExactly(header);
            }

            // A source that is a link (sitecustomize.py into /etc) is read by python through it, in the container's root.
            if (Path.GetFileName(cache) != "__pycache__" || !File.Exists(source) || new FileInfo(source).LinkTarget is not null
                || BitConverter.ToUInt32(header, 4) != 0)
            {
                continue;
            }

            checkedModules++;
            var info = new FileInfo(source);
            if (BitConverter.ToUInt32(header, 8) != (uint)info.LastWriteTimeUtc.Subtract(DateTime.UnixEpoch).TotalSeconds
                || BitConverter.ToUInt32(header, 12) != (uint)info.Length)
            {
                stale.Add(Path.GetRelativePath(tree.Path, pyc));
            }
        }

        Assert.True(checkedModules > 100, $"{checkedModules} compiled modules with sources");
        Assert.True(stale.Count == 0, string.Join('\n', stale));
        Assert.Equal(8, tree.SkippedSpecialFiles);
        // Left in /dev: the image's directories (pts, shm) and links (fd, stdin, ...), no node.
        Assert.All(Directory.EnumerateFileSystemEntries(Path.Join(tree.Path, "dev")), entry =>
            Assert.True(new FileInfo(entry).LinkTarget is not null || File.GetAttributes(entry).HasFlag(FileAttributes.Directory), entry));
    }

    /// <summary>Assembles a spec with one source, the image, copied whole to the tree's root.</summary>
    private Task<AssembledTree> AssembleWholeAsync(CorpusImage image) => AssembleAsync(image, "- copy: { from: img, path: /, to: / }");

    private async Task<AssembledTree> AssembleAsync(CorpusImage image, string step)
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
              {{step}}
            """).GetValidSpec("assembly.yaml");
        return await executor.AssembleAsync(spec);
    }
}
