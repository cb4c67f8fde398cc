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

    [Fact]
    public void A_placeholder_whose_value_kubelet_did_not_pass_is_named()
    {
        var template = PodReferenceTemplate.Parse("registry.example/wf/out:{pod.uid}");

        var e = Assert.Throws<InvalidReferenceException>(() => template.Expand(Pod with { Uid = null }));

        Assert.Equal("invalid reference \"registry.example/wf/out:{pod.uid}\": {pod.uid} is used but the pod's uid is not known", e.Message);
    }

    [Fact]
    public void A_pod_name_too_long_for_a_tag_is_refused_naming_the_template()
    {
        var template = PodReferenceTemplate.Parse("registry.example/wf/out:{pod.name}");

        var e = Assert.Throws<InvalidReferenceException>(() => template.Expand(Pod with { Name = new string('a', 200) }));

        Assert.StartsWith("invalid reference \"registry.example/wf/out:{pod.name}\": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("128", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("registry.example/wf/out:{pod}", "\"{pod}\" is not a placeholder; use {pod.name}, {pod.namespace} or {pod.uid}")]
    [InlineData("registry.example/wf/out:{pod.name", "\"{\" is not a placeholder; use {pod.name}, {pod.namespace} or {pod.uid}")]
    [InlineData("registry.example/wf/out:pod.name}", "\"}\" is not a placeholder; use {pod.name}, {pod.namespace} or {pod.uid}")]
    [InlineData("registry.example/wf/out@sha256:0000000000000000000000000000000000000000000000000000000000000000", "an output is pushed to a tag, so it must not name a digest")]
    public void A_template_that_cannot_name_an_output_is_refused_at_parse(string template, string problem)
    {
        var e = Assert.Throws<InvalidReferenceException>(() => PodReferenceTemplate.Parse(template));

        Assert.Equal(problem, e.Problem);
        Assert.Equal(template, e.Input);
    }
}
