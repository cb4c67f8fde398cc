using OrasAssemble.Settings;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Settings;

public sealed class HostSettingsParseTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static HostSettingsException Fails(string yaml) =>
        Assert.Throws<HostSettingsException>(() => HostSettings.Parse(yaml, "hosts.yaml"));

    private static HostSettingsError Single(string yaml) => Assert.Single(Fails(yaml).Errors);

    [Fact]
    public void ReadsEveryKey()
    {
        var settings = HostSettings.Parse("""
            registries:
              "kind-registry:5000":
                plainHttp: true
              ghcr.io:
                mirrors: ["mirror.local:5000", Mirror2.Local]
                insecure: false
              "127.0.0.1:*": {insecure: true}
            """);

        Assert.Equal(new RegistrySettings(PlainHttp: true), settings.For("kind-registry:5000"));
        Assert.Equal(new RegistrySettings(Mirrors: ["mirror.local:5000", "mirror2.local"]), settings.For("ghcr.io"));
        Assert.Equal(new RegistrySettings(Insecure: true), settings.For("127.0.0.1:5000"));
        Assert.Equal(
            ["kind-registry:5000", "ghcr.io", "127.0.0.1:*"],
            settings.Registries.Select(r => r.Key));
    }

    [Fact]
    public void OtherTopLevelSectionsAreIgnored()
    {
        var settings = HostSettings.Parse("""
            cache:
              budget: 10Gi
              path: /var/lib/oras-assemble
            limits: {maxBlobSize: 1Gi, whatever: [1, 2]}
            namespaces:
              - name: team-a
                registries: [ghcr.io]
            registries:
              ghcr.io: {plainHttp: true}
            somethingNew: yes
            """);

        Assert.True(settings.For("ghcr.io").PlainHttp);
        Assert.Single(settings.Registries);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# nothing configured yet\n")]
    [InlineData("~")]
    [InlineData("cache: {budget: 1Gi}")]
    [InlineData("registries:")]
    [InlineData("registries: {}")]
    [InlineData("registries: null")]
    public void NothingConfiguredMeansDefaultsEverywhere(string yaml)
    {
        var settings = HostSettings.Parse(yaml);

        Assert.Empty(settings.Registries);
        Assert.Equal(RegistrySettings.Default, settings.For("ghcr.io"));
    }

    [Fact]
    public void AnEntryWithoutSettingsOrWithNullsHasDefaults()
    {
        var settings = HostSettings.Parse("""
            registries:
              ghcr.io:
              quay.io: {}
              docker.io: {plainHttp: ~, insecure: null, mirrors: }
            """);

        Assert.Equal(RegistrySettings.Default, settings.For("ghcr.io"));
        Assert.Equal(RegistrySettings.Default, settings.For("quay.io"));
        Assert.Equal(RegistrySettings.Default, settings.For("docker.io"));
        Assert.Equal(3, settings.Registries.Count);
    }

    [Theory]
    [InlineData("True", true)]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("!!bool true", true)]
    [InlineData("!!bool \"true\"", true)]
    public void AcceptsYamlBooleans(string value, bool expected)
    {
        var settings = HostSettings.Parse($"registries:\n  ghcr.io:\n    plainHttp: {value}\n");

        Assert.Equal(expected, settings.For("ghcr.io").PlainHttp);
    }

    [Theory]
    [InlineData("\"true\"", "the string \"true\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("1", "\"1\"")]
    [InlineData("[true]", "a list")]
    [InlineData("{a: 1}", "a mapping")]
    public void WrongTypeForABooleanNamesFieldLineAndColumn(string value, string found)
    {
        var error = Single($"# settings\nregistries:\n  ghcr.io:\n    mirrors: []\n    insecure: {value}\n");

        Assert.Equal("hosts.yaml", error.FileName);
        Assert.Equal(5, error.Line);
        Assert.Equal(15, error.Column);
        Assert.Equal($"registries.\"ghcr.io\".insecure must be true or false, found {found}", error.Message);
        Assert.Equal($"hosts.yaml:5:15: {error.Message}", error.ToString());
    }

    [Fact]
    public void UnknownKeyInsideAnEntryIsAnErrorWithItsLine()
    {
        var e = Fails("""
            registries:
              ghcr.io:
                plainHttp: true
              "kind-registry:5000":
                plainhttp: true
            """);

        var error = Assert.Single(e.Errors);
        Assert.Equal(5, error.Line);
        Assert.Equal(5, error.Column);
        Assert.Contains("registries.\"kind-registry:5000\": unknown key \"plainhttp\"", error.Message);
        Assert.Contains("did you mean \"plainHttp\"?", error.Message);
        Assert.StartsWith("hosts.yaml:5:5: ", e.Message);
    }

    [Fact]
    public void UnknownKeyWithoutACloseMatchListsTheKnownKeys()
    {
        var error = Single("registries:\n  ghcr.io:\n    timeout: 5s\n");

        Assert.Equal("registries.\"ghcr.io\": unknown key \"timeout\" (known keys: plainHttp, insecure, mirrors, mirrorTimeout)", error.Message);
    }

    [Fact]
    public void SuggestsTheKeyForKebabCase()
    {
        var error = Single("registries:\n  ghcr.io:\n    plain-http: true\n");

        Assert.Contains("did you mean \"plainHttp\"?", error.Message);
    }

    [Theory]
    [InlineData("mirrors: mirror.local", 3, 14, "must be a list of hosts")]
    [InlineData("mirrors: {a: b}", 3, 14, "must be a list of hosts")]
    [InlineData("mirrors: [\"https://mirror.local\"]", 3, 15, "without scheme or path, found the string \"https://mirror.local\"")]
    [InlineData("mirrors: [mirror.local/v2]", 3, 15, "without scheme or path")]
    [InlineData("mirrors: [ok.local, \"\"]", 3, 25, "without scheme or path, found the string \"\"")]
    [InlineData("mirrors: [ok.local, [a]]", 3, 25, "found a list")]
    [InlineData("mirrors: [\"mirror:99999\"]", 3, 15, "without scheme or path")]
    public void BadMirrorsAreErrorsWithTheirPosition(string entry, int line, int column, string expected)
    {
        var error = Single($"registries:\n  ghcr.io:\n    {entry}\n");

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.StartsWith("registries.\"ghcr.io\".mirrors", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("https://ghcr.io", "is a URL; write the host only, e.g. \"ghcr.io\"")]
    [InlineData("https://ghcr.io/v2/", "is a URL; write the host only, e.g. \"ghcr.io\"")]
    [InlineData("https://", "has a path")]
    [InlineData("ghcr.io/org", "has a path")]
    [InlineData("*", "is not a host pattern")]
    [InlineData("reg*.example.com", "is not a host pattern")]
    [InlineData("host:port", "is not a host pattern")]
    [InlineData("host:0", "is not a host pattern")]
    [InlineData("bad host", "is not a host pattern")]
    public void BadRegistryKeysAreErrors(string key, string expected)
    {
        var error = Single($"registries:\n  ok.example: {{}}\n  \"{key}\": {{plainHttp: true}}\n");

        Assert.Equal((3, 3), (error.Line, error.Column));
        Assert.Contains($"\"{key}\" {expected}", error.Message);
    }

    [Fact]
    public void AnEntryThatIsNotAMappingIsAnError()
    {
        var error = Single("registries:\n  ghcr.io: true\n");

        Assert.Equal((2, 12), (error.Line, error.Column));
        Assert.Equal("registries.\"ghcr.io\" must be a mapping with any of plainHttp, insecure, mirrors, mirrorTimeout", error.Message);
    }

    [Theory]
    [InlineData("registries: [ghcr.io]", 1, 13)]
    [InlineData("registries: ghcr.io", 1, 13)]
    public void RegistriesMustBeAMapping(string yaml, int line, int column)
    {
        var error = Single(yaml);

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains("\"registries\" must be a mapping", error.Message);
    }

    [Theory]
    [InlineData("- registries")]
    [InlineData("just text")]
    public void TopLevelMustBeAMapping(string yaml)
    {
        var error = Single(yaml);

        Assert.Equal((1, 1), (error.Line, error.Column));
        Assert.Contains("expected a mapping", error.Message);
    }

    [Fact]
    public void SameHostTwiceInAnotherCaseIsAnError()
    {
        var error = Single("registries:\n  GHCR.io: {}\n  ghcr.io: {}\n");

        Assert.Equal(3, error.Line);
        Assert.Contains("\"ghcr.io\" is listed twice (first at line 2)", error.Message);
    }

    [Fact]
    public void DuplicateYamlKeysAreErrors()
    {
        var error = Single("registries:\n  ghcr.io: {plainHttp: true, plainHttp: false}\n");

        Assert.Equal(2, error.Line);
        Assert.Contains("Duplicate key", error.Message);
    }

    [Theory]
    [InlineData("registries:\n  ghcr.io: {plainHttp: true\n", 3)]
    [InlineData("registries:\n  ghcr.io:\n    mirrors: [a, b\n  quay.io: {}\n", 3)]
    [InlineData("registries:\n  ghcr.io: 'unterminated\n", 2)]
    [InlineData("registries:\n  ghcr.io:\n    plainHttp: true\n   insecure: true\n", 4)]
    public void SyntaxErrorsCarryAPosition(string yaml, int line)
    {
        var error = Single(yaml);

        Assert.StartsWith("not valid YAML", error.Message);
        Assert.Equal(line, error.Line);
        Assert.True(error.Column > 0);
    }

    [Fact]
    public void SeveralDocumentsAreAnError()
    {
        var error = Single("registries: {}\n---\nregistries: {}\n");

        Assert.Equal(3, error.Line);
        Assert.Contains("expected one YAML document", error.Message);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var e = Fails("""
            registries:
              ghcr.io:
                plainHttp: "yes"
                proxy: x
              "http://quay.io": {}
              ok.example: {mirrors: [good.local]}
              docker.io:
                mirrors: ["a/b"]
            """);

        Assert.Equal([3, 4, 5, 8], e.Errors.Select(x => x.Line));
        Assert.Contains("4 problems", e.Message);
        Assert.All(e.Errors, x => Assert.Contains($"hosts.yaml:{x.Line}:{x.Column}: ", e.Message));
    }

    [Fact]
    public async Task LoadsAFile()
    {
        var path = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(path, "registries:\n  \"kind-registry:5000\": {plainHttp: true}\n");

        var settings = await HostSettings.LoadAsync(path);

        Assert.True(settings.For("kind-registry:5000").PlainHttp);
    }

    [Fact]
    public async Task ErrorsFromAFileNameIt()
    {
        var path = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(path, "registries:\n  ghcr.io: {plainHTTP: true}\n");

        var e = await Assert.ThrowsAsync<HostSettingsException>(() => HostSettings.LoadAsync(path));

        Assert.Equal(path, e.FileName);
        Assert.StartsWith($"{path}:2:13: ", e.Message);
    }

    [Fact]
    public async Task EmptyFileMeansDefaults()
    {
        var path = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(path, "");

        var settings = await HostSettings.LoadAsync(path);

        Assert.Empty(settings.Registries);
    }

    [Fact]
    public async Task MissingFileIsAnErrorNamingIt()
    {
        var path = temp.Combine("nope", "config.yaml");

        var e = await Assert.ThrowsAsync<HostSettingsException>(() => HostSettings.LoadAsync(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }
}
