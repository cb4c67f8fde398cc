using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Containers;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using YamlDotNet.RepresentationModel;
using static OrasAssemble.CsiNode.Tests.Deploy.Kustomized;
using static OrasAssemble.CsiNode.Tests.Outputs.OutputVolumeDriver;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>
/// examples/workflow as written, against the plugin: step 1's pod volume is published as kubelet would publish it, its
/// command writes into it, and once it is unpublished and pushed, step 2's spec assembles the pushed artifact. Only the
/// example's registry host is swapped for the test registry's.
/// </summary>
public sealed class WorkflowExampleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IAsyncLifetime
{
    private const string ExampleHost = "registry.example/";

    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private PluginUnderTest? _plugin;

    private RegistryServer Server => fixture.Server;

    private PluginUnderTest Plugin => _plugin!;

    private static string Example(string file) => RepositoryFiles.PathOf("examples", "workflow", file);

    public async Task InitializeAsync() => _plugin = await PluginUnderTest.StartAsync();

    public async Task DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        _registry.Dispose();
    }

    [Fact]
    public async Task Step_ones_pod_volume_is_pushed_and_step_twos_spec_assembles_what_its_command_wrote()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Example("step1-pod.yaml")))
        {
            yaml.Load(reader);
        }

        var step1 = (YamlMappingNode)yaml.Documents.Single().RootNode;
        var spec = Map(step1, "spec");
        var volume = Seq(spec, "volumes").Cast<YamlMappingNode>().Single(v => v.Children.ContainsKey(new YamlScalarNode("csi")));
        var csi = Map(volume, "csi");
        Assert.Equal("csi.oras.land", Scalar(csi, "driver"));
        var container = Seq(spec, "containers").Cast<YamlMappingNode>().Single();
        var mountPath = Scalar(Seq(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == Scalar(volume, "name")), "mountPath");
        var command = Seq(container, "command").Select(c => ((YamlScalarNode)c).Value!).ToList();
        var attributes = Map(csi, "volumeAttributes").Children.ToDictionary(
            p => ((YamlScalarNode)p.Key).Value!, p => Local(((YamlScalarNode)p.Value).Value!), StringComparer.Ordinal);

        var pod = TestPod.Create(Scalar(Map(step1, "metadata"), "name")) with { VolumeName = Scalar(volume, "name") };
        var request = Plugin.Kubelet.PublishRequest(pod, attributes);
        request.Readonly = bool.Parse(Scalar(csi, "readOnly"));
        await Plugin.Kubelet.PublishAsync(request);

        // The step's own command, with the volume's mount path pointing at the published target.
        Assert.Equal(["sh", "-c"], command.Take(2));
        var run = await ProgramRun.RunAsync("sh", ["-c", command[2].Replace(mountPath, request.TargetPath, StringComparison.Ordinal)], Patience);
        Assert.True(run.ExitCode == 0, run.Output);
        var written = TreeSnapshot.Take(request.TargetPath);
        Assert.Equal("file 0644 9\n", written["summary.txt"]);
        Assert.Contains("      3 the\n", await File.ReadAllTextAsync(Path.Combine(request.TargetPath, "counts", "words.txt")), StringComparison.Ordinal);

        await Plugin.Kubelet.UnpublishAsync(pod);

        var reference = attributes[VolumeContextKeys.OutputReference];
        var (manifest, _) = await WaitForManifestAsync(_registry, reference);
        Assert.Equal(attributes[VolumeContextKeys.OutputArtifactType], manifest.ArtifactType);
        Assert.Equal("42", manifest.Annotations!["example.workflow/run"]);
        Assert.Equal("count", manifest.Annotations!["example.workflow/step"]);
        await WaitForAsync(() => Task.FromResult(Plugin.OutboxEntries().Count == 0), "the outbox to empty");

        var step2 = Local(await File.ReadAllTextAsync(Example("step2-spec.yaml")));
        Assert.Contains($"ref: {reference}\n", step2, StringComparison.Ordinal);
        var input = await Plugin.Kubelet.PublishAsync(TestPod.Create("wordcount-step2") with { VolumeName = "oras-assemble" }, new Dictionary<string, string>
        {
            [VolumeContextKeys.InlineSpec] = step2,
        });
        Assert.Equal(
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["summary.txt"] = written["summary.txt"],
                ["words.txt"] = written["counts/words.txt"],
            },
            TreeSnapshot.Take(input));
    }

    private string Local(string text) => text.Replace(ExampleHost, $"{Server.Host}/", StringComparison.Ordinal);
}
