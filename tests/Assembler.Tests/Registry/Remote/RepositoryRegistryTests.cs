using OrasAssemble.Registry;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>The client against a real CNCF Distribution registry, anonymous access.</summary>
public sealed class RepositoryRegistryTests(AnonymousRegistryFixture fixture) : RegistryRepositoryTests(fixture), IClassFixture<AnonymousRegistryFixture>
{
    [Fact]
    public async Task Unknown_repository_is_a_not_found_error_naming_it()
    {
        var error = await Assert.ThrowsAsync<RegistryNotFoundException>(() => Repo("does/not-exist").ResolveAsync("latest"));
        Assert.StartsWith($"resolve {Server.Host}/does/not-exist:latest: not found", error.Message, StringComparison.Ordinal);
    }
}
