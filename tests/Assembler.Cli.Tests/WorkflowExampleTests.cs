using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>
/// The workflow example's second step on the embedded default store: step 1's results, pushed as the node plugin
/// pushes an output volume (each top-level file a layer, each top-level folder a tar+gzip layer), are what step 2's
/// spec in examples/workflow takes as its source, unchanged.
/// </summary>
public sealed class WorkflowExampleTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static string Example => RepositoryFiles.PathOf(Path.Combine("examples", "workflow"));

    [Fact]
    public async Task Step_twos_spec_assembles_step_ones_results_as_they_were_pushed()
    {
        var results = temp.Combine("results");
        Directory.CreateDirectory(Path.Combine(results, "counts"));
        await File.WriteAllTextAsync(Path.Combine(results, "summary.txt"), "9\n");
        await File.WriteAllTextAsync(Path.Combine(results, "counts", "words.txt"), "      3 the\n      1 fox\n");
        var store = temp.Combine("store");

        var pack = await CliProcess.RunAsync(
            ["--store", store, "pack", "registry.example/wf/wordcount:run-42", "summary.txt", "counts"], stdin: null, workingDirectory: results);
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        var push = await CliProcess.RunAsync(
            "--store", store, "push", Path.Combine(Example, "step2-spec.yaml"), "registry.example/wf/wordcount-report-spec:1.0", "--lock");
        Assert.True(push.ExitCode == 0, push.Stderr);
        var assemble = await CliProcess.RunAsync(
            "--store", store, "assemble", "registry.example/wf/wordcount-report-spec:1.0", "--out", temp.Combine("input"), "--cache", temp.Combine("cache"));
        Assert.True(assemble.ExitCode == 0, assemble.Stderr);

        Assert.Equal(["summary.txt", "words.txt"], Directory.GetFileSystemEntries(temp.Combine("input")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("9\n", await File.ReadAllTextAsync(temp.Combine("input", "summary.txt")));
        Assert.Equal("      3 the\n      1 fox\n", await File.ReadAllTextAsync(temp.Combine("input", "words.txt")));
    }
}
