using OrasAssemble.Registry;

namespace OrasAssemble.Tests.Registry;

public sealed class PodReferenceTemplateTests
{
    private static readonly PodIdentity Pod = new("train-7", "ml", "5f0c3a1e-8d2b-4c6f-9a7e-1b2c3d4e5f60");

    [Theory]
    [InlineData("registry.example/wf/out:{pod.name}", "registry.example/wf/out:train-7")]
    [InlineData("registry.example/{pod.namespace}/out:{pod.name}-{pod.uid}", "registry.example/ml/out:train-7-5f0c3a1e-8d2b-4c6f-9a7e-1b2c3d4e5f60")]
    [InlineData(" registry.example/wf/out:fixed ", "registry.example/wf/out:fixed")]
    public void Each_placeholder_takes_the_pods_value(string template, string expected)
    {
        var parsed = PodReferenceTemplate.Parse(template);

        Assert.Equal(expected, parsed.Expand(Pod).ToString());
        Assert.Equal(template.Contains('{', StringComparison.Ordinal), parsed.NamesThePod);
    }

    [Theory]
    [InlineData("registry.example/wf/out:{pod.uid}", "uses {pod.uid}, but kubelet did not pass csi.storage.k8s.io/pod.uid (set podInfoOnMount: true on the CSIDriver)")]
    [InlineData("registry.example/{pod.namespace}/out:1", "uses {pod.namespace}, but kubelet did not pass csi.storage.k8s.io/pod.namespace (set podInfoOnMount: true on the CSIDriver)")]
    public void A_placeholder_whose_value_kubelet_did_not_pass_is_named_with_the_key_and_the_setting(string text, string problem)
    {
        var template = PodReferenceTemplate.Parse(text);

        var e = Assert.Throws<InvalidReferenceException>(() => template.Expand(new PodIdentity("train-7", null, null)));

        Assert.Equal($"invalid reference \"{text}\": {problem}", e.Message);
    }

    [Fact]
    public void A_pod_name_too_long_for_a_tag_is_refused_quoting_the_template_and_its_expansion()
    {
        var template = PodReferenceTemplate.Parse("registry.example/wf/out:{pod.name}");
        var name = new string('a', 200);

        var e = Assert.Throws<InvalidReferenceException>(() => template.Expand(Pod with { Name = name }));

        Assert.Equal(
            $"invalid reference \"registry.example/wf/out:{{pod.name}}\": with the pod's values it reads \"registry.example/wf/out:{name}\", " +
            "which is not a reference to push to: tag is 200 characters long; the limit is 128",
            e.Message);
    }

    [Fact]
    public void A_template_without_a_tag_pushes_to_latest()
    {
        Assert.Equal("registry.example/wf/out:latest", PodReferenceTemplate.Parse("registry.example/wf/out").Expand(Pod).ToString());
    }

    [Theory]
    [InlineData("registry.example/wf/out:{pod}", "uses the unknown placeholder {pod} (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("registry.example/wf/out:{pod.ip}-{pod.name}", "uses the unknown placeholder {pod.ip} (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("registry.example/wf/out:{pod.name", "has a \"{\" that opens no placeholder (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("registry.example/wf/out:{{pod.name}", "has a \"{\" that opens no placeholder (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("registry.example/wf/out:pod.name}", "has a \"}\" that closes no placeholder (known: {pod.name}, {pod.namespace}, {pod.uid})")]
    [InlineData("registry.example/wf/out@sha256:0000000000000000000000000000000000000000000000000000000000000000", "an output is pushed to a tag (host/repository:tag), so it must not name a digest")]
    [InlineData("registry.example/wf/Out:{pod.name}", "repository \"wf/Out\" must be lowercase")]
    public void A_template_that_cannot_name_an_output_is_refused_at_parse(string template, string problem)
    {
        var e = Assert.Throws<InvalidReferenceException>(() => PodReferenceTemplate.Parse(template));

        Assert.Equal(problem, e.Problem);
        Assert.Equal(template, e.Input);
    }
}
