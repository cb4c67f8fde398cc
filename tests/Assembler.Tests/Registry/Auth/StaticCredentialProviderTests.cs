using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Tests.Registry.Auth;

public sealed class StaticCredentialProviderTests
{
    private static readonly Credential Alice = new("alice", "1");
    private static readonly Credential Bob = new("bob", "2");

    [Fact]
    public async Task ReturnsTheCredentialOfTheRegistryAndAnonymousOtherwise()
    {
        var provider = new StaticCredentialProvider([new("ghcr.io", Alice), new("127.0.0.1:5000", Bob)]);

        Assert.Same(Alice, await provider.GetAsync("ghcr.io"));
        Assert.Same(Bob, await provider.GetAsync("127.0.0.1:5000"));
        Assert.Same(Credential.Empty, await provider.GetAsync("127.0.0.1:5001"));
        Assert.Same(Credential.Empty, await provider.GetAsync("quay.io"));
    }

    [Theory]
    [InlineData("https://ghcr.io", "ghcr.io")]
    [InlineData("GHCR.io", "ghcr.io")]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("docker.io", "docker.io")]
    public async Task KeysMayBeWrittenAsDockerWritesThem(string key, string registry)
    {
        var provider = new StaticCredentialProvider([new(key, Alice)]);

        Assert.Same(Alice, await provider.GetAsync(registry));
        Assert.Equal([registry], provider.Registries);
    }

    [Fact]
    public async Task TheKeyDockerWouldWriteWinsOverOtherSpellings()
    {
        var hubFirst = new StaticCredentialProvider([new("https://index.docker.io/v1/", Alice), new("docker.io", Bob)]);
        var hubLast = new StaticCredentialProvider([new("docker.io", Bob), new("https://index.docker.io/v1/", Alice)]);
        var hostLast = new StaticCredentialProvider([new("https://ghcr.io/", Bob), new("ghcr.io", Alice), new("GHCR.IO", Bob)]);

        Assert.Same(Alice, await hubFirst.GetAsync("docker.io"));
        Assert.Same(Alice, await hubLast.GetAsync("docker.io"));
        Assert.Same(Alice, await hostLast.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task EmptyIsAnonymousForEverything()
    {
        Assert.Same(Credential.Empty, await StaticCredentialProvider.Empty.GetAsync("ghcr.io"));
        Assert.Empty(StaticCredentialProvider.Empty.Registries);
    }

    [Fact]
    public void KeysThatNameNoRegistryAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new StaticCredentialProvider([new("https://", Alice)]));
        Assert.Contains("\"https://\"", e.Message);
    }

    [Fact]
    public async Task HonoursCancellation()
    {
        var provider = new StaticCredentialProvider([new("ghcr.io", Alice)]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.GetAsync("ghcr.io", new CancellationToken(canceled: true)));
    }
}
