using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Auth;

/// <summary>StoreAsync and RemoveAsync: what login and logout leave on disk or in a helper.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class DockerConfigCredentialStoreWriteTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string ConfigPath => temp.Combine("config.json");

    private string WriteConfig(string json)
    {
        File.WriteAllText(ConfigPath, json);
        return ConfigPath;
    }

    private JsonObject ReadConfig() => JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();

    private static string Basic(string userColonPassword) => Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    [Fact]
    public async Task StoreCreatesAPrivateFileAndDirectory()
    {
        var path = temp.Combine("home", ".docker", "config.json");
        var store = new DockerConfigCredentialStore(path);

        await store.StoreAsync("127.0.0.1:5000", new Credential("alice", "s3cret"));

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        var written = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(Basic("alice:s3cret"), (string?)written["auths"]!["127.0.0.1:5000"]!["auth"]);
        Assert.Equal(new Credential("alice", "s3cret"), await store.GetAsync("127.0.0.1:5000"));
    }

    [Fact]
    public async Task StoreTightensAnExistingFileToOwnerOnly()
    {
        WriteConfig("{}");
        File.SetUnixFileMode(ConfigPath, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await new DockerConfigCredentialStore(ConfigPath).StoreAsync("ghcr.io", new Credential("a", "b"));

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(ConfigPath));
    }

    [Fact]
    public async Task StoreKeepsEverythingElseInTheFile()
    {
        const string original = """
            {
              "auths": {
                "quay.io": {"auth": "cXVheTpwdw==", "email": "q@example.com"},
                "ghcr.io": {"username": "old", "password": "old", "email": "me@example.com", "x-extra": [1, 2.50, {"deep": null}]}
              },
              "credHelpers": {"gcr.io": "gcloud"},
              "HttpHeaders": {"User-Agent": "custom/1.0 <ünïcode> & more"},
              "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "*.local"}},
              "experimental": "enabled",
              "number": 1e3,
              "currentContext": "default"
            }
            """;
        WriteConfig(original);

        await new DockerConfigCredentialStore(ConfigPath).StoreAsync("ghcr.io", new Credential("new", "pw"));

        var expected = JsonNode.Parse(original)!.AsObject();
        var entry = expected["auths"]!["ghcr.io"]!.AsObject();
        entry.Remove("username");
        entry.Remove("password");
        entry["auth"] = Basic("new:pw");
        var actual = ReadConfig();
        Assert.True(JsonNode.DeepEquals(expected, actual), actual.ToJsonString());
        Assert.Equal(
            expected.Select(p => p.Key),
            actual.Select(p => p.Key));
        Assert.Contains("2.50", File.ReadAllText(ConfigPath));
        Assert.Contains("1e3", File.ReadAllText(ConfigPath));
    }

    [Fact]
    public async Task StoreWritesARefreshTokenAsIdentityToken()
    {
        WriteConfig($$"""{"auths": {"ghcr.io": {"auth": "{{Basic("old:pw")}}", "registrytoken": "stale"} } }""");
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.StoreAsync("ghcr.io", new Credential(RefreshToken: "refresh-xyz"));

        var entry = ReadConfig()["auths"]!["ghcr.io"]!.AsObject();
        Assert.Equal(["identitytoken"], entry.Select(p => p.Key));
        Assert.Equal("refresh-xyz", (string?)entry["identitytoken"]);
        Assert.Equal(new Credential(RefreshToken: "refresh-xyz"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task StoreWritesUsernameWithRefreshTokenAndAccessToken()
    {
        var store = new DockerConfigCredentialStore(ConfigPath);
        var credential = new Credential(Username: "robot", RefreshToken: "r", AccessToken: "a");

        await store.StoreAsync("ghcr.io", credential);

        var entry = ReadConfig()["auths"]!["ghcr.io"]!;
        Assert.Equal(Basic("robot:"), (string?)entry["auth"]);
        Assert.Equal("r", (string?)entry["identitytoken"]);
        Assert.Equal("a", (string?)entry["registrytoken"]);
        Assert.Equal(credential, await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task StoreForDockerIoUsesTheLegacyKey()
    {
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.StoreAsync("docker.io", new Credential("hub", "pw"));

        Assert.Equal(["https://index.docker.io/v1/"], ReadConfig()["auths"]!.AsObject().Select(p => p.Key));
        Assert.Equal(new Credential("hub", "pw"), await store.GetAsync("docker.io"));
    }

    [Fact]
    public async Task StoreUpdatesAnExistingKeyInAnotherCase()
    {
        WriteConfig($$"""{"auths": {"GHCR.io": {"auth": "{{Basic("old:pw")}}"} } }""");
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.StoreAsync("ghcr.io", new Credential("new", "pw"));

        Assert.Equal(["GHCR.io"], ReadConfig()["auths"]!.AsObject().Select(p => p.Key));
        Assert.Equal(new Credential("new", "pw"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task StoreLeavesNoTemporaryFilesBehind()
    {
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.StoreAsync("a.example", new Credential("a", "1"));
        await store.StoreAsync("b.example", new Credential("b", "2"));
        await store.RemoveAsync("a.example");

        Assert.Equal(["config.json"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task StoreWritesThroughASymbolicLink()
    {
        var real = temp.Combine("dotfiles", "docker-config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, """{"psFormat": "table"}""");
        File.CreateSymbolicLink(ConfigPath, real);

        await new DockerConfigCredentialStore(ConfigPath).StoreAsync("ghcr.io", new Credential("a", "b"));

        Assert.Equal(real, new FileInfo(ConfigPath).LinkTarget);
        var content = JsonNode.Parse(File.ReadAllText(real))!;
        Assert.Equal("table", (string?)content["psFormat"]);
        Assert.Equal(Basic("a:b"), (string?)content["auths"]!["ghcr.io"]!["auth"]);
    }

    [Fact]
    public async Task ConcurrentStoresAreAllKept()
    {
        var store = new DockerConfigCredentialStore(ConfigPath);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => store.StoreAsync($"r{i}.example", new Credential($"u{i}", "pw"))));

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(new Credential($"u{i}", "pw"), await store.GetAsync($"r{i}.example"));
        }
    }

    [Fact]
    public async Task StoreRefusesAnEmptyCredential()
    {
        var store = new DockerConfigCredentialStore(ConfigPath);

        await Assert.ThrowsAsync<ArgumentException>(() => store.StoreAsync("ghcr.io", Credential.Empty));
        Assert.False(File.Exists(ConfigPath));
    }

    [Fact]
    public async Task StoreIntoAMalformedFileFailsAndLeavesItAlone()
    {
        const string broken = """{"auths": {""";
        WriteConfig(broken);

        var e = await Assert.ThrowsAsync<CredentialConfigException>(
            () => new DockerConfigCredentialStore(ConfigPath).StoreAsync("ghcr.io", new Credential("a", "b")));

        Assert.Contains(ConfigPath, e.Message);
        Assert.Equal(broken, File.ReadAllText(ConfigPath));
    }

    [Fact]
    public async Task RemoveDeletesEverySpellingOfTheRegistryAndNothingElse()
    {
        WriteConfig($$"""
            {"auths": {
              "ghcr.io": {"auth": "{{Basic("a:1")}}"},
              "https://ghcr.io/v1/": {"auth": "{{Basic("a:2")}}"},
              "http://GHCR.IO": {"auth": "{{Basic("a:3")}}"},
              "ghcr.io:5000": {"auth": "{{Basic("a:4")}}"},
              "quay.io": {"auth": "{{Basic("a:5")}}"}
             },
             "credHelpers": {},
             "psFormat": "table"}
            """);
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.RemoveAsync("ghcr.io");

        var config = ReadConfig();
        Assert.Equal(["ghcr.io:5000", "quay.io"], config["auths"]!.AsObject().Select(p => p.Key));
        Assert.Equal("table", (string?)config["psFormat"]);
        Assert.NotNull(config["credHelpers"]);
        Assert.Same(Credential.Empty, await store.GetAsync("ghcr.io"));
        Assert.Equal(new Credential("a", "4"), await store.GetAsync("ghcr.io:5000"));
    }

    [Fact]
    public async Task RemoveDockerIoDeletesHubEntries()
    {
        WriteConfig($$"""{"auths": {"https://index.docker.io/v1/": {"auth": "{{Basic("a:1")}}"}, "docker.io": {"auth": "{{Basic("a:2")}}"} } }""");
        var store = new DockerConfigCredentialStore(ConfigPath);

        await store.RemoveAsync("docker.io");

        Assert.Empty(ReadConfig()["auths"]!.AsObject());
    }

    [Fact]
    public async Task RemoveOfWhatIsNotThereChangesNothing()
    {
        var missing = new DockerConfigCredentialStore(temp.Combine("sub", "config.json"));
        await missing.RemoveAsync("ghcr.io");
        Assert.False(Directory.Exists(temp.Combine("sub")));

        // Compact, unusual formatting: any rewrite would show.
        const string original = """{"auths":{"quay.io":{"auth":"cTpw"}},"x":1}""";
        WriteConfig(original);
        File.SetUnixFileMode(ConfigPath, OwnerReadWrite | UnixFileMode.GroupRead);
        await new DockerConfigCredentialStore(ConfigPath).RemoveAsync("ghcr.io");

        Assert.Equal(original, File.ReadAllText(ConfigPath));
        Assert.Equal(OwnerReadWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(ConfigPath));
    }

    [Fact]
    public async Task HelperRoundTripLeavesTheFileUntouched()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        var original = $$"""{"credsStore": "{{helper.Name}}", "auths": {"quay.io": {} } }""";
        WriteConfig(original);
        var store = new DockerConfigCredentialStore(ConfigPath, helper.Options());

        await store.StoreAsync("127.0.0.1:5000", new Credential("alice", "pw-1"));
        Assert.True(helper.Holds("127.0.0.1:5000"));
        Assert.Equal(new Credential("alice", "pw-1"), await store.GetAsync("127.0.0.1:5000"));

        await store.RemoveAsync("127.0.0.1:5000");
        Assert.False(helper.Holds("127.0.0.1:5000"));
        Assert.Same(Credential.Empty, await store.GetAsync("127.0.0.1:5000"));

        Assert.Equal(original, File.ReadAllText(ConfigPath));
        Assert.Equal(
            ["store 127.0.0.1:5000", "get 127.0.0.1:5000", "erase 127.0.0.1:5000", "get 127.0.0.1:5000"],
            helper.Calls());
    }

    [Fact]
    public async Task HelperStoresRefreshTokenUnderTokenUsernameAndHubUnderLegacyAddress()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        WriteConfig($$"""{"credHelpers": {"docker.io": "{{helper.Name}}"} }""");
        var store = new DockerConfigCredentialStore(ConfigPath, helper.Options());

        await store.StoreAsync("docker.io", new Credential(Username: "ignored", RefreshToken: "id-token"));

        Assert.True(helper.Holds("https://index.docker.io/v1/"));
        Assert.Equal(new Credential(RefreshToken: "id-token"), await store.GetAsync("docker.io"));
        var stored = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(helper.StateDirectory, "*.json").Single()))!;
        Assert.Equal("<token>", (string?)stored["Username"]);
        Assert.Equal("id-token", (string?)stored["Secret"]);
    }

    [Fact]
    public async Task HelperCannotStoreAnAccessTokenAlone()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        WriteConfig($$"""{"credsStore": "{{helper.Name}}"}""");
        var store = new DockerConfigCredentialStore(ConfigPath, helper.Options());

        await Assert.ThrowsAsync<ArgumentException>(() => store.StoreAsync("ghcr.io", new Credential(AccessToken: "a")));
        Assert.Empty(helper.Calls());
    }

    [Fact]
    public async Task EraseOfUnknownRegistryIsNotAnError()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        WriteConfig($$"""{"credsStore": "{{helper.Name}}"}""");

        await new DockerConfigCredentialStore(ConfigPath, helper.Options()).RemoveAsync("ghcr.io");

        Assert.Equal(["erase ghcr.io"], helper.Calls());
    }

    [Fact]
    public async Task FailedHelperStoreDoesNotLeakTheSecret()
    {
        // A careless helper that echoes its input when it fails.
        var helper = FakeCredentialHelper.Scripted(temp.Path, """input="$(cat)"; echo "cannot store $input" >&2; exit 1""");
        WriteConfig($$"""{"credsStore": "{{helper.Name}}"}""");
        var store = new DockerConfigCredentialStore(ConfigPath, helper.Options());

        var e = await Assert.ThrowsAsync<CredentialHelperException>(
            () => store.StoreAsync("ghcr.io", new Credential("alice", "very-secret-pw")));

        Assert.Contains("\"store\" failed", e.Message);
        Assert.Contains("cannot store", e.Message);
        Assert.Contains("alice", e.Message);
        Assert.DoesNotContain("very-secret-pw", e.ToString());
    }

    [Fact]
    public async Task FailedHelperEraseIsReported()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, """cat >/dev/null; echo "keychain locked" >&2; exit 1""");
        WriteConfig($$"""{"credsStore": "{{helper.Name}}"}""");

        var e = await Assert.ThrowsAsync<CredentialHelperException>(
            () => new DockerConfigCredentialStore(ConfigPath, helper.Options()).RemoveAsync("ghcr.io"));

        Assert.Contains("\"erase\" failed", e.Message);
        Assert.Equal("keychain locked", e.HelperError);
    }
}
