using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Tenancy;
using OrasAssemble.Registry;

namespace OrasAssemble.CsiNode.Tests.Tenancy;

public sealed class NamespacePolicyTests
{
    private static readonly NamespacePolicy Policy = new(new Dictionary<string, NamespaceRule>
    {
        ["team-a"] = new(["registry.team-a.example"], ["ghcr.io/team-a/*", "ghcr.io/shared/base"]),
        ["*"] = new(["ghcr.io"], []),
    });

    [Theory]
    [InlineData("team-a", "registry.team-a.example/anything/at/all:1")]
    [InlineData("team-a", "ghcr.io/team-a/app:1")]
    [InlineData("team-a", "ghcr.io/team-a/deep/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("team-a", "ghcr.io/shared/base:1")]
    [InlineData("team-b", "ghcr.io/anyone/app:1")]
    public void Listed_registries_and_repositories_are_allowed(string ns, string reference) =>
        Assert.Null(Policy.Refusal(ns, Reference.Parse(reference)));

    [Theory]
    [InlineData("team-a", "ghcr.io/team-b/app:1")]
    [InlineData("team-a", "ghcr.io/shared/base-extra:1")]
    [InlineData("team-a", "ghcr.io/team-ab/app:1")]
    [InlineData("team-a", "docker.io/library/busybox:1")]
    [InlineData("team-b", "registry.team-a.example/app:1")]
    [InlineData(null, "ghcr.io/anyone/app:1")]
    public void Anything_else_is_refused_with_a_reason(string? ns, string reference) =>
        Assert.NotNull(Policy.Refusal(ns, Reference.Parse(reference)));

    [Fact]
    public void Without_rules_everything_is_allowed_even_without_pod_info() =>
        Assert.Null(new NamespacePolicy(new Dictionary<string, NamespaceRule>()).Refusal(null, Reference.Parse("ghcr.io/x:1")));
}
