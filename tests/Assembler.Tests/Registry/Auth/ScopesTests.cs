using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Tests.Registry.Auth;

public sealed class ScopesTests
{
    [Theory]
    [InlineData("library/ubuntu", new[] { "pull" }, "repository:library/ubuntu:pull")]
    [InlineData("apps/hello", new[] { "pull", "push" }, "repository:apps/hello:pull,push")]
    [InlineData("apps/hello", new[] { "push", "pull" }, "repository:apps/hello:pull,push")]
    [InlineData("apps/hello", new[] { "pull", "pull" }, "repository:apps/hello:pull")]
    [InlineData("apps/hello", new[] { "pull", "*" }, "repository:apps/hello:*")]
    [InlineData("apps/hello", new[] { "delete", "push", "pull" }, "repository:apps/hello:delete,pull,push")]
    public void Repository_formats_a_repository_scope(string repository, string[] actions, string expected)
    {
        Assert.Equal(expected, Scopes.Repository(repository, actions));
    }

    [Fact]
    public void Repository_takes_actions_as_params()
    {
        Assert.Equal("repository:a/b:pull,push", Scopes.Repository("a/b", "pull", "push"));
    }

    [Theory]
    [InlineData("", new[] { "pull" })]
    [InlineData("a", new string[0])]
    [InlineData("a", new[] { "" })]
    [InlineData("a", new[] { "pull,push" })]
    [InlineData("a", new[] { "pull:x" })]
    [InlineData("a", new[] { "pull push" })]
    public void Repository_rejects_what_would_not_be_one_scope(string repository, string[] actions)
    {
        Assert.ThrowsAny<ArgumentException>(() => Scopes.Repository(repository, actions));
    }

    [Theory]
    [InlineData(new string[0], new string[0])]
    [InlineData(new[] { "repository:a:pull" }, new[] { "repository:a:pull" })]
    [InlineData(new[] { "repository:a:pull", "repository:a:push" }, new[] { "repository:a:pull,push" })]
    [InlineData(new[] { "repository:a:push", "repository:a:pull", "repository:a:pull" }, new[] { "repository:a:pull,push" })]
    [InlineData(new[] { "repository:a:push,pull" }, new[] { "repository:a:pull,push" })]
    [InlineData(new[] { "repository:b:pull", "repository:a:pull" }, new[] { "repository:a:pull", "repository:b:pull" })]
    [InlineData(new[] { "repository:a:pull", "repository:b:push", "repository:a:delete" }, new[] { "repository:a:delete,pull", "repository:b:push" })]
    [InlineData(new[] { "repository:a:pull", "repository:a:*" }, new[] { "repository:a:*" })]
    [InlineData(new[] { "repository:a:*", "repository:a:push" }, new[] { "repository:a:*" })]
    [InlineData(new[] { "registry:catalog:*" }, new[] { "registry:catalog:*" })]
    [InlineData(new[] { "repository:a:pull", "registry:catalog:*" }, new[] { "registry:catalog:*", "repository:a:pull" })]
    // Sorted by resource, not by the whole string: "repository:a" comes before "repository:a-b".
    [InlineData(new[] { "repository:a-b:pull", "repository:a:pull" }, new[] { "repository:a:pull", "repository:a-b:pull" })]
    // A challenge's scope parameter may list several scopes separated by spaces.
    [InlineData(new[] { "repository:a:pull repository:b:push", "repository:a:push" }, new[] { "repository:a:pull,push", "repository:b:push" })]
    // The name lies between the first and last colon, so a name with a colon still merges.
    [InlineData(new[] { "repository:host:5000/x:pull", "repository:host:5000/x:push" }, new[] { "repository:host:5000/x:pull,push" })]
    // Same name, different resource type: not merged.
    [InlineData(new[] { "repository:a:pull", "repository(plugin):a:pull" }, new[] { "repository(plugin):a:pull", "repository:a:pull" })]
    [InlineData(new[] { "garbage", "repository:a:pull", "garbage" }, new[] { "repository:a:pull", "garbage" })]
    [InlineData(new[] { "repository:a:", "repository:a:pull" }, new[] { "repository:a:pull", "repository:a:" })]
    [InlineData(new[] { "repository::pull", ":a:pull", "a:pull" }, new[] { ":a:pull", "a:pull", "repository::pull" })]
    [InlineData(new[] { "repository:a:,", "repository:b:pull,,push" }, new[] { "repository:b:pull,push", "repository:a:," })]
    public void Merge_unites_actions_per_resource_in_a_stable_order(string[] scopes, string[] expected)
    {
        Assert.Equal(expected, Scopes.Merge(scopes));
    }

    [Fact]
    public void Merge_is_independent_of_input_order()
    {
        string[] scopes = ["repository:b:push", "registry:catalog:*", "repository:a:pull", "repository:b:pull", "repository:a:delete"];

        var forward = Scopes.Merge(scopes);
        var backward = Scopes.Merge(scopes.Reverse());

        Assert.Equal(forward, backward);
        Assert.Equal(["registry:catalog:*", "repository:a:delete,pull", "repository:b:pull,push"], forward);
    }
}
