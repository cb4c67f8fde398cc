using System.Text;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Auth;

public sealed class DockerConfigCredentialStoreReadTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private DockerConfigCredentialStore StoreWith(string json)
    {
        var path = temp.Combine("config.json");
        File.WriteAllText(path, json);
        return new DockerConfigCredentialStore(path);
    }

    private static string Basic(string userColonPassword) => Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    [Fact]
    public async Task MissingFileMeansAnonymous()
    {
        var store = new DockerConfigCredentialStore(temp.Combine("no", "such", "config.json"));

        Assert.Same(Credential.Empty, await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task EmptyFileMeansAnonymous()
    {
        var store = StoreWith("  \n");

        Assert.True((await store.GetAsync("ghcr.io")).IsEmpty);
    }

    [Fact]
    public async Task DecodesBase64Auth()
    {
        var store = StoreWith($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("alice:s3cret")}}"} } }""");

        Assert.Equal(new Credential("alice", "s3cret"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task PasswordMayContainColonsAndTrailingNulsAreDropped()
    {
        var store = StoreWith($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("bob:a:b:c\0\0")}}"} } }""");

        Assert.Equal(new Credential("bob", "a:b:c"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task ReadsSeparateUsernameAndPassword()
    {
        var store = StoreWith("""{"auths": {"127.0.0.1:5000": {"username": "u", "password": "p"}}}""");

        Assert.Equal(new Credential("u", "p"), await store.GetAsync("127.0.0.1:5000"));
    }

    [Fact]
    public async Task AuthWinsOverSeparateFields()
    {
        var store = StoreWith($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("from:auth")}}", "username": "x", "password": "y"} } }""");

        Assert.Equal(new Credential("from", "auth"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task IdentityTokenIsARefreshTokenAndRegistryTokenAnAccessToken()
    {
        var store = StoreWith($$"""
            {"auths": {
              "a.example": {"auth": "{{Basic("user:")}}", "identitytoken": "refresh-1"},
              "b.example": {"registrytoken": "access-2"}
            } }
            """);

        Assert.Equal(new Credential(Username: "user", RefreshToken: "refresh-1"), await store.GetAsync("a.example"));
        Assert.Equal(new Credential(AccessToken: "access-2"), await store.GetAsync("b.example"));
    }

    [Fact]
    public async Task UnknownRegistryIsAnonymous()
    {
        var store = StoreWith($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("a:b")}}"} } }""");

        Assert.Same(Credential.Empty, await store.GetAsync("quay.io"));
        Assert.Same(Credential.Empty, await store.GetAsync("ghcr.io:5000"));
    }

    [Theory]
    [InlineData("https://ghcr.io")]
    [InlineData("http://ghcr.io")]
    [InlineData("https://ghcr.io/v1/")]
    [InlineData("https://ghcr.io/v2/")]
    [InlineData("GHCR.IO")]
    public async Task KeysInOtherSpellingsMatchTheHost(string key)
    {
        var store = StoreWith($$"""{"auths": {"{{key}}": {"auth": "{{Basic("a:b")}}"} } }""");

        Assert.Equal(new Credential("a", "b"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task ExactKeyWinsOverOtherSpellingsWhereverItIs()
    {
        var store = StoreWith($$"""
            {"auths": {
              "https://ghcr.io/v1/": {"auth": "{{Basic("old:one")}}"},
              "ghcr.io": {"auth": "{{Basic("new:one")}}"}
            } }
            """);

        Assert.Equal(new Credential("new", "one"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task PortIsPartOfTheHost()
    {
        var store = StoreWith($$"""
            {"auths": {
              "http://127.0.0.1:5000": {"auth": "{{Basic("five:thousand")}}"},
              "127.0.0.1:5001": {"auth": "{{Basic("five:one")}}"}
            } }
            """);

        Assert.Equal(new Credential("five", "thousand"), await store.GetAsync("127.0.0.1:5000"));
        Assert.Equal(new Credential("five", "one"), await store.GetAsync("127.0.0.1:5001"));
        Assert.Same(Credential.Empty, await store.GetAsync("127.0.0.1"));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/")]
    [InlineData("index.docker.io")]
    [InlineData("https://index.docker.io/v1")]
    [InlineData("docker.io")]
    [InlineData("registry-1.docker.io")]
    public async Task DockerHubKeysMatchDockerIo(string key)
    {
        var store = StoreWith($$"""{"auths": {"{{key}}": {"auth": "{{Basic("hub:user")}}"} } }""");

        Assert.Equal(new Credential("hub", "user"), await store.GetAsync("docker.io"));
    }

    [Fact]
    public async Task DockerHubLegacyKeyWinsOverOtherHubSpellings()
    {
        var store = StoreWith($$"""
            {"auths": {
              "docker.io": {"auth": "{{Basic("short:name")}}"},
              "https://index.docker.io/v1/": {"auth": "{{Basic("legacy:key")}}"}
            } }
            """);

        Assert.Equal(new Credential("legacy", "key"), await store.GetAsync("docker.io"));
    }

    [Fact]
    public async Task OtherFieldsOfTheFileDoNotMatter()
    {
        var store = StoreWith($$"""
            {"auths": {"ghcr.io": {"auth": "{{Basic("a:b")}}", "email": "a@example.com"} },
             "HttpHeaders": {"User-Agent": "x"}, "psFormat": "table", "currentContext": "default",
             "proxies": {"default": {"httpProxy": "http://proxy"} } }
            """);

        Assert.Equal(new Credential("a", "b"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task MalformedJsonNamesTheFile()
    {
        var store = StoreWith("""{"auths": {"ghcr.io": {"auth": "abc"}""");

        var e = await Assert.ThrowsAsync<CredentialConfigException>(() => store.GetAsync("ghcr.io"));
        Assert.Equal(store.ConfigPath, e.Origin);
        Assert.Contains(store.ConfigPath, e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("""{"auths": []}""", "\"auths\" must be an object")]
    [InlineData("""{"auths": {"ghcr.io": "x"}}""", "auths.\"ghcr.io\" must be an object")]
    [InlineData("""{"auths": {"ghcr.io": {"auth": 5}}}""", "auths.\"ghcr.io\".auth must be a string")]
    [InlineData("""{"credsStore": true}""", "credsStore must be a string")]
    [InlineData("""{"credHelpers": {"ghcr.io": 1}}""", "credHelpers.\"ghcr.io\" must be a string")]
    public async Task WrongShapesNameTheFileAndField(string json, string expected)
    {
        var store = StoreWith(json);

        var e = await Assert.ThrowsAsync<CredentialConfigException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains(store.ConfigPath, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task InvalidBase64AuthNamesTheEntryButNotTheValue()
    {
        var store = StoreWith("""{"auths": {"ghcr.io": {"auth": "not*base64!secret"}}}""");

        var e = await Assert.ThrowsAsync<CredentialConfigException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains("auths.\"ghcr.io\".auth is not valid base64", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public async Task AuthWithoutColonIsAnError()
    {
        var store = StoreWith($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("nocolon")}}"} } }""");

        var e = await Assert.ThrowsAsync<CredentialConfigException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains("username:password", e.Message);
        Assert.DoesNotContain("nocolon", e.Message);
    }

    [Fact]
    public async Task ReadsTheFileAgainOnEveryCall()
    {
        var store = StoreWith("{}");
        Assert.True((await store.GetAsync("ghcr.io")).IsEmpty);

        await File.WriteAllTextAsync(store.ConfigPath, $$"""{"auths": {"ghcr.io": {"auth": "{{Basic("late:login")}}"} } }""");

        Assert.Equal(new Credential("late", "login"), await store.GetAsync("ghcr.io"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("https://")]
    public async Task RegistryNameIsRequired(string registry)
    {
        var store = StoreWith("{}");

        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync(registry));
    }

    [Fact]
    public void DefaultPathPrefersDockerConfigVariable()
    {
        Assert.Equal(
            Path.Combine("/etc/docker-cfg", "config.json"),
            DockerConfigCredentialStore.DefaultConfigPath("/etc/docker-cfg", "/home/someone"));
        Assert.Equal(
            Path.Combine("/home/someone", ".docker", "config.json"),
            DockerConfigCredentialStore.DefaultConfigPath(null, "/home/someone"));
        Assert.Equal(
            Path.Combine("/home/someone", ".docker", "config.json"),
            DockerConfigCredentialStore.DefaultConfigPath("", "/home/someone"));
        Assert.Throws<InvalidOperationException>(() => DockerConfigCredentialStore.DefaultConfigPath(null, ""));
    }
}
