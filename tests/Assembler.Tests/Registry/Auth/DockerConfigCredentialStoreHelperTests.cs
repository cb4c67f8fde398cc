using System.Diagnostics;
using System.Runtime.Versioning;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Auth;

/// <summary>credsStore and credHelpers, against real helper programs.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class DockerConfigCredentialStoreHelperTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string WriteConfig(string json)
    {
        var path = temp.Combine("config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public async Task CredsStoreAnswersForEveryRegistry()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        helper.Seed("ghcr.io", "alice", "pw-1");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Equal(new Credential("alice", "pw-1"), await store.GetAsync("ghcr.io"));
        Assert.Same(Credential.Empty, await store.GetAsync("quay.io"));
        Assert.Equal(["get ghcr.io", "get quay.io"], helper.Calls());
    }

    [Fact]
    public async Task HelperIsAskedForDockerHubByItsLegacyServerAddress()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        helper.Seed("https://index.docker.io/v1/", "hubuser", "hubpass");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Equal(new Credential("hubuser", "hubpass"), await store.GetAsync("docker.io"));
        Assert.Equal(["get https://index.docker.io/v1/"], helper.Calls());
    }

    [Fact]
    public async Task CredHelperForTheHostWinsOverCredsStoreAndAuths()
    {
        var perHost = FakeCredentialHelper.Keychain(temp.Path);
        var fallback = FakeCredentialHelper.Keychain(temp.Path);
        perHost.Seed("127.0.0.1:5000", "local", "from-per-host");
        fallback.Seed("127.0.0.1:5000", "local", "from-store");
        fallback.Seed("ghcr.io", "gh", "from-store");
        var config = WriteConfig($$"""
            {"auths": {"127.0.0.1:5000": {"auth": "aWdub3JlZDppZ25vcmVk"} },
             "credsStore": "{{fallback.Name}}",
             "credHelpers": {"127.0.0.1:5000": "{{perHost.Name}}"} }
            """);
        var store = new DockerConfigCredentialStore(
            config, new DockerConfigCredentialStoreOptions { HelperSearchPath = [perHost.Directory, fallback.Directory] });

        Assert.Equal(new Credential("local", "from-per-host"), await store.GetAsync("127.0.0.1:5000"));
        Assert.Equal(new Credential("gh", "from-store"), await store.GetAsync("ghcr.io"));
        Assert.Equal(["get 127.0.0.1:5000"], perHost.Calls());
        Assert.Equal(["get ghcr.io"], fallback.Calls());
    }

    [Fact]
    public async Task CredHelperKeysMatchInOtherSpellings()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        helper.Seed("ghcr.io", "alice", "pw");
        var config = WriteConfig($$"""{"credHelpers": {"https://ghcr.io": "{{helper.Name}}"} }""");
        var store = new DockerConfigCredentialStore(config, helper.Options());

        Assert.Equal(new Credential("alice", "pw"), await store.GetAsync("ghcr.io"));
        Assert.Same(Credential.Empty, await store.GetAsync("quay.io"));
        Assert.Equal(["get ghcr.io"], helper.Calls());
    }

    [Fact]
    public async Task TokenUsernameMeansTheSecretIsARefreshToken()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        helper.Seed("ghcr.io", "<token>", "identity-token-1");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Equal(new Credential(RefreshToken: "identity-token-1"), await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task NotFoundOnStderrIsAnonymousToo()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, "cat >/dev/null; echo 'Credentials not found' >&2; exit 1");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Same(Credential.Empty, await store.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task FailingHelperNamesItselfAndItsError()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, "cat >/dev/null; echo 'keyring is locked' >&2; exit 3");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Equal("docker-credential-" + helper.Name, e.Helper);
        Assert.Equal("keyring is locked", e.HelperError);
        Assert.Contains("docker-credential-" + helper.Name, e.Message);
        Assert.Contains("exit code 3", e.Message);
        Assert.Contains("keyring is locked", e.Message);
    }

    [Fact]
    public async Task ErrorOnStdoutIsReportedWhenStderrIsEmpty()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, "cat >/dev/null; echo 'error getting credentials - dbus unavailable'; exit 1");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Equal("error getting credentials - dbus unavailable", e.HelperError);
    }

    [Fact]
    public async Task GarbageOutputIsAnErrorThatDoesNotRepeatIt()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, "cat >/dev/null; echo '{\"Username\": \"u\", \"Secret\": \"hunter2'");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains("not the expected JSON", e.Message);
        Assert.DoesNotContain("hunter2", e.ToString());
    }

    [Fact]
    public async Task HelperGetsTheActionAsArgumentAndTheServerAddressOnStdin()
    {
        // Echo back what arrived, to prove the protocol: action as argv[1], server address alone on stdin.
        var helper = FakeCredentialHelper.Scripted(temp.Path, """
            input="$(cat)"
            printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$input" "$1" "$input"
            """);
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Equal(new Credential("get", "127.0.0.1:5000"), await store.GetAsync("127.0.0.1:5000"));
    }

    [Fact]
    public async Task MissingHelperProgramIsNamed()
    {
        var store = new DockerConfigCredentialStore(
            WriteConfig("""{"credsStore": "nowhere-to-be-found"}"""),
            new DockerConfigCredentialStoreOptions { HelperSearchPath = [temp.Path] });

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Equal("docker-credential-nowhere-to-be-found", e.Helper);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public async Task ProgramWithoutExecuteBitIsNotUsed()
    {
        var helper = FakeCredentialHelper.Keychain(temp.Path);
        File.SetUnixFileMode(Path.Combine(helper.Directory, "docker-credential-" + helper.Name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public async Task SearchPathIsTriedInOrder()
    {
        var first = FakeCredentialHelper.Scripted(temp.Path, """cat >/dev/null; echo '{"Username":"first","Secret":"1"}'""");
        var second = Path.Combine(temp.Path, "second");
        Directory.CreateDirectory(second);
        var program = Path.Combine(second, "docker-credential-" + first.Name);
        File.WriteAllText(program, "#!/bin/bash\ncat >/dev/null; echo '{\"Username\":\"second\",\"Secret\":\"2\"}'\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = WriteConfig($$"""{"credsStore": "{{first.Name}}"}""");

        var store = new DockerConfigCredentialStore(
            config, new DockerConfigCredentialStoreOptions { HelperSearchPath = [temp.Combine("empty"), second, first.Directory] });

        Assert.Equal(new Credential("second", "2"), await store.GetAsync("ghcr.io"));
    }

    [Theory]
    [InlineData("../../bin/sh")]
    [InlineData("/bin/sh")]
    [InlineData("a b")]
    [InlineData("..")]
    public async Task HelperNamesCannotLeaveTheSearchDirectory(string name)
    {
        var store = new DockerConfigCredentialStore(
            WriteConfig($$"""{"credsStore": "{{name}}"}"""),
            new DockerConfigCredentialStoreOptions { HelperSearchPath = [temp.Path] });

        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));
        Assert.Contains("invalid credential helper name", e.Message);
    }

    [Fact]
    public async Task SlowHelperIsKilledAtTheTimeoutWithItsChildren()
    {
        // The subshell is a child of the helper: if only the helper died, it would live on and leave the marker.
        var marker = temp.Combine("child-survived");
        var helper = FakeCredentialHelper.Scripted(temp.Path, $"cat >/dev/null; ( sleep 2; touch '{marker}' ); echo done");
        var store = new DockerConfigCredentialStore(
            WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options(TimeSpan.FromMilliseconds(300)));

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetAsync("ghcr.io"));

        Assert.Contains("\"get\" did not finish within 0.3 s", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(File.Exists(marker), "a child of the helper outlived the timeout");
    }

    [Fact]
    public async Task CancellationStopsTheHelper()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, "cat >/dev/null; sleep 5");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync("ghcr.io", cancellation.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    [Fact]
    public void TimeoutMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DockerConfigCredentialStore(
            temp.Combine("config.json"), new DockerConfigCredentialStoreOptions { HelperTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public async Task HelperThatIgnoresStdinStillWorks()
    {
        var helper = FakeCredentialHelper.Scripted(temp.Path, """echo '{"Username":"u","Secret":"s"}'""");
        var store = new DockerConfigCredentialStore(WriteConfig($$"""{"credsStore": "{{helper.Name}}"}"""), helper.Options());

        Assert.Equal(new Credential("u", "s"), await store.GetAsync("ghcr.io"));
    }
}
