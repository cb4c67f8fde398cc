using System.Text;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Tests.Registry.Auth;

public sealed class KubernetesSecretCredentialsTests
{
    private static string Basic(string userColonPassword) => Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

    // What `kubectl create secret docker-registry` produces.
    private static readonly string PullSecret = $$"""
        {"auths":{"registry.example:5000":{"username":"deploy","password":"pw","email":"d@example.com","auth":"{{Basic("deploy:pw")}}"},
                  "https://index.docker.io/v1/":{"auth":"{{Basic("hub:hubpw")}}"},
                  "ghcr.io":{"identitytoken":"gh-refresh"} } }
        """;

    [Fact]
    public async Task ReadsADockerConfigJsonPayloadFromText()
    {
        var provider = KubernetesSecretCredentials.FromDockerConfigJson(PullSecret);

        Assert.Equal(new Credential("deploy", "pw"), await provider.GetAsync("registry.example:5000"));
        Assert.Equal(new Credential("hub", "hubpw"), await provider.GetAsync("docker.io"));
        Assert.Equal(new Credential(RefreshToken: "gh-refresh"), await provider.GetAsync("ghcr.io"));
        Assert.Same(Credential.Empty, await provider.GetAsync("quay.io"));
    }

    [Fact]
    public async Task ReadsADockerConfigJsonPayloadFromBytes()
    {
        var provider = KubernetesSecretCredentials.FromDockerConfigJson(Encoding.UTF8.GetBytes(PullSecret));

        Assert.Equal(new Credential("deploy", "pw"), await provider.GetAsync("registry.example:5000"));
    }

    [Fact]
    public async Task HelperSettingsInASecretAreIgnored()
    {
        // Running a program chosen by a tenant's secret on the node would be a hole; only auths count.
        var provider = KubernetesSecretCredentials.FromDockerConfigJson($$"""
            {"credsStore": "desktop", "credHelpers": {"ghcr.io": "pass"},
             "auths": {"ghcr.io": {"auth": "{{Basic("a:b")}}"} } }
            """);

        Assert.Equal(new Credential("a", "b"), await provider.GetAsync("ghcr.io"));
        Assert.Same(Credential.Empty, await provider.GetAsync("quay.io"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("""{"auths": "x"}""")]
    public void BadDockerConfigJsonNamesTheSecretKey(string json)
    {
        var e = Assert.Throws<CredentialConfigException>(() => KubernetesSecretCredentials.FromDockerConfigJson(json));

        Assert.Equal("secret key .dockerconfigjson", e.Origin);
    }

    [Fact]
    public async Task ReadsALegacyDockerCfgPayload()
    {
        var provider = KubernetesSecretCredentials.FromDockerCfg($$"""{"https://quay.io": {"auth": "{{Basic("q:pw")}}", "email": "q@example.com"} }""");

        Assert.Equal(new Credential("q", "pw"), await provider.GetAsync("quay.io"));
    }

    [Fact]
    public async Task BasicAuthAppliesToItsRegistryOnly()
    {
        var provider = KubernetesSecretCredentials.FromBasicAuth("127.0.0.1:5000", "user", "pw");

        Assert.Equal(new Credential("user", "pw"), await provider.GetAsync("127.0.0.1:5000"));
        Assert.Same(Credential.Empty, await provider.GetAsync("127.0.0.1:5001"));
        Assert.Same(Credential.Empty, await provider.GetAsync("docker.io"));
    }

    [Fact]
    public async Task SecretDataWithDockerConfigJson()
    {
        var data = new Dictionary<string, string> { [".dockerconfigjson"] = PullSecret };

        var provider = KubernetesSecretCredentials.FromSecretData(data, "ghcr.io");

        Assert.Equal(new Credential(RefreshToken: "gh-refresh"), await provider.GetAsync("ghcr.io"));
        Assert.Equal(new Credential("hub", "hubpw"), await provider.GetAsync("docker.io"));
    }

    [Fact]
    public async Task SecretDataWithDockerCfg()
    {
        var data = new Dictionary<string, string> { [".dockercfg"] = $$"""{"ghcr.io": {"auth": "{{Basic("old:format")}}"} }""" };

        var provider = KubernetesSecretCredentials.FromSecretData(data, "quay.io");

        Assert.Equal(new Credential("old", "format"), await provider.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task SecretDataWithUsernameAndPasswordIsForTheGivenRegistry()
    {
        var data = new Dictionary<string, string> { ["username"] = "robot", ["password"] = "token", ["ca.crt"] = "ignored" };

        var provider = KubernetesSecretCredentials.FromSecretData(data, "registry.example:5000");

        Assert.Equal(new Credential("robot", "token"), await provider.GetAsync("registry.example:5000"));
        Assert.Same(Credential.Empty, await provider.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task UsernameAndPasswordWinOverThePullSecretForTheirRegistry()
    {
        var data = new Dictionary<string, string>
        {
            [".dockerconfigjson"] = PullSecret,
            ["username"] = "robot",
            ["password"] = "token",
        };

        var provider = KubernetesSecretCredentials.FromSecretData(data, "https://registry.example:5000");

        Assert.Equal(new Credential("robot", "token"), await provider.GetAsync("registry.example:5000"));
        Assert.Equal(new Credential(RefreshToken: "gh-refresh"), await provider.GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task NoSecretDataMeansAnonymous()
    {
        var provider = KubernetesSecretCredentials.FromSecretData(new Dictionary<string, string>(), "ghcr.io");

        Assert.Same(Credential.Empty, await provider.GetAsync("ghcr.io"));
    }

    [Fact]
    public void SecretDataWithoutKnownKeysIsAnErrorListingTheKeysButNoValues()
    {
        var data = new Dictionary<string, string> { ["token"] = "s3cret-value", ["user"] = "someone" };

        var e = Assert.Throws<CredentialConfigException>(() => KubernetesSecretCredentials.FromSecretData(data, "ghcr.io"));

        Assert.Contains(".dockerconfigjson", e.Message);
        Assert.Contains("username/password", e.Message);
        Assert.Contains("\"token\", \"user\"", e.Message);
        Assert.DoesNotContain("s3cret-value", e.Message);
    }

    [Theory]
    [InlineData("robot", null, "\"password\" is missing or empty")]
    [InlineData("robot", "", "\"password\" is missing or empty")]
    [InlineData(null, "pw", "\"username\" is missing or empty")]
    [InlineData("", "pw", "\"username\" is missing or empty")]
    public void HalfABasicAuthPairIsAnError(string? username, string? password, string expected)
    {
        var data = new Dictionary<string, string>();
        if (username is not null)
        {
            data["username"] = username;
        }

        if (password is not null)
        {
            data["password"] = password;
        }

        var e = Assert.Throws<CredentialConfigException>(() => KubernetesSecretCredentials.FromSecretData(data, "ghcr.io"));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BadPullSecretInSecretDataNamesTheKey()
    {
        var data = new Dictionary<string, string> { [".dockerconfigjson"] = "{not json" };

        var e = Assert.Throws<CredentialConfigException>(() => KubernetesSecretCredentials.FromSecretData(data, "ghcr.io"));

        Assert.Contains(".dockerconfigjson", e.Message);
    }
}
