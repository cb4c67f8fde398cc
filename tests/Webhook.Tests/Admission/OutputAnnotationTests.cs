using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using OrasAssemble.Webhook.Tests.TestSupport;
using static OrasAssemble.Webhook.Tests.TestSupport.PatchedPods;

namespace OrasAssemble.Webhook.Tests.Admission;

/// <summary>
/// The outputs annotation, posted over HTTPS to the real host: each <c>path=reference</c> pair becomes a writable CSI
/// volume the node plugin pushes when the pod is done, mounted writable in the chosen containers, alone or beside the
/// spec's read-only tree. Every patch is applied with an independent RFC 6902 implementation and the pod compared whole.
/// </summary>
public sealed class OutputAnnotationTests(AdmissionFixture fixture) : IClassFixture<AdmissionFixture>
{
    private const string Outputs = "assemble.oras.land/outputs";
    private const string ResultsReference = "registry.example/wf/out:{pod.name}";
    private const string LogsReference = "registry.example/wf/logs:{pod.namespace}-{pod.uid}";

    [Fact]
    public async Task A_pod_with_only_outputs_gets_one_writable_volume_and_mount_per_pair_and_no_spec()
    {
        var review = OutputsOnly(Review("bare-pod"), $"/results={ResultsReference}, /logs={LogsReference}");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        Assert.Equal(["/spec/volumes", "/spec/containers/0/volumeMounts", "/spec/volumes/-", "/spec/containers/0/volumeMounts/-"], Paths(answer));
        var expected = OriginalPod(review);
        expected["spec"]!["volumes"] = new JArray(OutputVolume(0, ResultsReference), OutputVolume(1, LogsReference));
        expected["spec"]!["containers"]![0]!["volumeMounts"] = new JArray(OutputMount(0, "/results"), OutputMount(1, "/logs"));
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task Outputs_compose_with_the_spec_in_every_chosen_container()
    {
        var review = Reviews.Annotate(Review("deployment-pod"), Outputs, $"/results={ResultsReference}");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        var expected = OriginalPod(review);
        var volumes = (JArray)expected["spec"]!["volumes"]!;
        volumes.Add(SpecVolume());
        volumes.Add(OutputVolume(0, ResultsReference));
        foreach (var container in (JArray)expected["spec"]!["containers"]!)
        {
            var mounts = (JArray)container["volumeMounts"]!;
            mounts.Add(new JObject { ["name"] = "oras-assemble", ["mountPath"] = "/app", ["readOnly"] = true });
            mounts.Add(OutputMount(0, "/results"));
        }

        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task Admitting_the_wired_pod_again_changes_nothing()
    {
        var review = Reviews.Annotate(Review("deployment-pod"), Outputs, $"/results={ResultsReference},/logs={LogsReference}");
        var first = await fixture.Webhook.ReviewAsync(review);
        Assert.True(first.Allowed, first.ToString());
        var wired = Review("deployment-pod");
        wired["request"]!["object"] = JsonNode.Parse(first.ApplyTo(review).ToString());

        var second = await fixture.Webhook.ReviewAsync(wired);

        Assert.True(second.Allowed, second.ToString());
        Assert.Null(second.Patch);
    }

    [Fact]
    public async Task Only_the_named_containers_get_the_output_and_its_volume_carries_the_pull_secret()
    {
        var review = Reviews.Annotate(Review("deployment-pod"), Outputs, $"/results={ResultsReference}");
        Reviews.Annotate(review, "assemble.oras.land/containers", "log-shipper");
        Reviews.Annotate(review, "assemble.oras.land/pull-secret", "wf-push");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        var pod = answer.ApplyTo(review);
        var output = pod["spec"]!["volumes"]!.Single(v => (string?)v["name"] == "oras-assemble-output-0");
        Assert.Equal("wf-push", (string?)output["csi"]!["nodePublishSecretRef"]!["name"]);
        var spec = pod["spec"]!["volumes"]!.Single(v => (string?)v["name"] == "oras-assemble");
        Assert.Equal("wf-push", (string?)spec["csi"]!["nodePublishSecretRef"]!["name"]);
        var mountsByContainer = pod["spec"]!["containers"]!.ToDictionary(
            c => (string)c["name"]!, c => c["volumeMounts"]!.Select(m => (string)m["name"]!).ToList());
        Assert.DoesNotContain("oras-assemble-output-0", mountsByContainer["app"]);
        Assert.Contains("oras-assemble-output-0", mountsByContainer["log-shipper"]);
    }

    [Theory]
    [InlineData("results=registry.example/wf/out:1", "annotation assemble.oras.land/outputs: output path \"results\" must be an absolute path in the container")]
    [InlineData("/results", "annotation assemble.oras.land/outputs pair \"/results\" has no '='; write path=reference")]
    [InlineData("/results=registry.example/wf/out:{pod.nam}", "annotation assemble.oras.land/outputs: output /results: invalid reference \"registry.example/wf/out:{pod.nam}\": uses the unknown placeholder {pod.nam} (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("/results=registry.example/wf/out@sha256:0000000000000000000000000000000000000000000000000000000000000000", "annotation assemble.oras.land/outputs: output /results: invalid reference \"registry.example/wf/out@sha256:0000000000000000000000000000000000000000000000000000000000000000\": an output is pushed to a tag (host/repository:tag), so it must not name a digest")]
    [InlineData("/results=Registry.Example/WF/out:1", "annotation assemble.oras.land/outputs: output /results: invalid reference \"Registry.Example/WF/out:1\"")]
    [InlineData("/a=registry.example/wf/a:1,/a=registry.example/wf/b:1", "annotation assemble.oras.land/outputs names /a twice; give each output its own path")]
    [InlineData("/a=registry.example/wf/a:1,,/b=registry.example/wf/b:1", "annotation assemble.oras.land/outputs is \"/a=registry.example/wf/a:1,,/b=registry.example/wf/b:1\", which has an empty pair")]
    [InlineData(" ", "annotation assemble.oras.land/outputs is empty; list path=reference pairs separated by commas")]
    [InlineData("/app=registry.example/wf/out:1", "annotation assemble.oras.land/outputs: output /app is where the spec's tree is mounted; choose another path")]
    public async Task Unusable_outputs_are_refused_with_a_reason_naming_them(string value, string reason)
    {
        var review = Reviews.Annotate(Review("deployment-pod"), Outputs, value);

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.StartsWith(reason, answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mount_path_annotation_without_a_spec_is_refused_rather_than_ignored()
    {
        var review = OutputsOnly(Review("bare-pod"), $"/results={ResultsReference}");
        Reviews.Annotate(review, "assemble.oras.land/mount-path", "/app");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(
            "annotation assemble.oras.land/mount-path applies to the spec's tree, but the pod has no assemble.oras.land/spec annotation",
            answer.Message);
    }

    [Fact]
    public async Task A_pod_using_an_output_volume_name_for_something_else_is_refused()
    {
        var review = OutputsOnly(Review("bare-pod"), $"/results={ResultsReference}");
        Reviews.Pod(review)["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "oras-assemble-output-0", ["emptyDir"] = new JsonObject() });

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(
            "the pod already has a volume named \"oras-assemble-output-0\", which is not the output /results=registry.example/wf/out:{pod.name} of annotation " +
            "assemble.oras.land/outputs; rename that volume, or remove it and let the webhook add it",
            answer.Message);
    }

    private JsonObject Review(string name) => fixture.Review(name);

    private static JsonObject OutputsOnly(JsonObject review, string outputs)
    {
        var annotations = Reviews.Pod(review)["metadata"]!["annotations"]!.AsObject();
        annotations.Remove("assemble.oras.land/spec");
        annotations[Outputs] = outputs;
        return review;
    }

    private JObject SpecVolume() => new()
    {
        ["name"] = "oras-assemble",
        ["csi"] = new JObject
        {
            ["driver"] = "csi.oras.land",
            ["readOnly"] = true,
            ["volumeAttributes"] = new JObject { ["oras.artifact.reference"] = fixture.HelloPinned },
        },
    };

    private static JObject OutputVolume(int index, string reference) => new()
    {
        ["name"] = $"oras-assemble-output-{index}",
        ["csi"] = new JObject
        {
            ["driver"] = "csi.oras.land",
            ["readOnly"] = false,
            ["volumeAttributes"] = new JObject { ["oras.output.reference"] = reference },
        },
    };

    private static JObject OutputMount(int index, string path) =>
        new() { ["name"] = $"oras-assemble-output-{index}", ["mountPath"] = path, ["readOnly"] = false };
}
