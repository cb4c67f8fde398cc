using OrasAssemble.Settings;

namespace OrasAssemble.Tests.Settings;

public sealed class HostSettingsLookupTests
{
    private static readonly RegistrySettings Plain = new(PlainHttp: true);

    [Fact]
    public void TheExampleInTheDocsBehavesAsDescribed()
    {
        var settings = HostSettings.Parse("""
            registries:
              "kind-registry:5000":
                plainHttp: true
              ghcr.io:
                mirrors: ["mirror.local:5000"]
              "mirror.local:5000":
                insecure: true
              "127.0.0.1:*":
                insecure: true
              "*.corp.example":
                insecure: true
            cache:
              budget: 20Gi
            """);

        Assert.Equal(Plain, settings.For("kind-registry:5000"));
        Assert.Equal(new RegistrySettings(Mirrors: ["mirror.local:5000"]), settings.For("ghcr.io"));
        Assert.True(settings.For(settings.For("ghcr.io").Mirrors[0]).Insecure);
        Assert.True(settings.For("127.0.0.1:5000").Insecure);
        Assert.True(settings.For("r.corp.example").Insecure);
        Assert.False(settings.For("corp.example").Insecure);
    }

    [Fact]
    public void UnknownHostGetsDefaults()
    {
        var settings = HostSettings.Parse("registries: {ghcr.io: {plainHttp: true}}");

        Assert.Equal(RegistrySettings.Default, settings.For("quay.io"));
        Assert.Equal(RegistrySettings.Default, settings.For("ghcr.io:443"));
        Assert.Equal(RegistrySettings.Default, settings.For("sub.ghcr.io"));
        Assert.Equal(RegistrySettings.Default, HostSettings.Empty.For("ghcr.io"));
    }

    [Fact]
    public void ExactMatchIgnoresCase()
    {
        var settings = HostSettings.Parse("registries: {Kind-Registry:5000: {plainHttp: true}}");

        Assert.Equal(Plain, settings.For("kind-registry:5000"));
        Assert.Equal(Plain, settings.For("KIND-REGISTRY:5000"));
    }

    [Fact]
    public void AnyPortWildcardMatchesEveryPortAndNone()
    {
        var settings = HostSettings.Parse("registries: {\"127.0.0.1:*\": {insecure: true}}");

        Assert.True(settings.For("127.0.0.1:5000").Insecure);
        Assert.True(settings.For("127.0.0.1:443").Insecure);
        Assert.True(settings.For("127.0.0.1").Insecure);
        Assert.False(settings.For("127.0.0.10:5000").Insecure);
        Assert.False(settings.For("localhost:5000").Insecure);
    }

    [Fact]
    public void SubdomainWildcardMatchesSubdomainsOnly()
    {
        var settings = HostSettings.Parse("registries: {\"*.corp.example\": {insecure: true}}");

        Assert.True(settings.For("registry.corp.example").Insecure);
        Assert.True(settings.For("a.b.corp.example").Insecure);
        Assert.False(settings.For("corp.example").Insecure);
        Assert.False(settings.For("evilcorp.example").Insecure);
        Assert.False(settings.For("registry.corp.example:5000").Insecure);
    }

    [Fact]
    public void WildcardsCombine()
    {
        var settings = HostSettings.Parse("registries: {\"*.corp.example:*\": {plainHttp: true}, \"*.lab.example:5000\": {insecure: true}}");

        Assert.True(settings.For("r.corp.example:5000").PlainHttp);
        Assert.True(settings.For("r.corp.example").PlainHttp);
        Assert.True(settings.For("r.lab.example:5000").Insecure);
        Assert.False(settings.For("r.lab.example:5001").Insecure);
        Assert.False(settings.For("r.lab.example").Insecure);
    }

    [Fact]
    public void MostSpecificEntryWinsWhole()
    {
        var settings = HostSettings.Parse("""
            registries:
              "*.example.com:*": {mirrors: [m1.local]}
              "*.example.com": {mirrors: [m2.local]}
              "*.eu.example.com": {insecure: true}
              "r.eu.example.com:*": {plainHttp: true}
              "r.eu.example.com:5000": {insecure: true, plainHttp: true}
              "r.eu.example.com:6000": {}
            """);

        Assert.Equal(new RegistrySettings(Mirrors: ["m1.local"]), settings.For("x.example.com:7000"));
        Assert.Equal(new RegistrySettings(Mirrors: ["m2.local"]), settings.For("x.example.com"));
        Assert.Equal(new RegistrySettings(Insecure: true), settings.For("x.eu.example.com"));
        Assert.Equal(new RegistrySettings(PlainHttp: true), settings.For("r.eu.example.com"));
        Assert.Equal(new RegistrySettings(PlainHttp: true), settings.For("r.eu.example.com:7000"));
        Assert.Equal(new RegistrySettings(PlainHttp: true, Insecure: true), settings.For("r.eu.example.com:5000"));

        // An exact entry is taken whole: nothing is inherited from the wildcards that also match.
        Assert.Equal(RegistrySettings.Default, settings.For("r.eu.example.com:6000"));
    }

    [Fact]
    public void Ipv6LiteralsWork()
    {
        var settings = HostSettings.Parse("registries: {\"[::1]:5000\": {plainHttp: true}, \"[fd00::2]:*\": {insecure: true}}");

        Assert.True(settings.For("[::1]:5000").PlainHttp);
        Assert.False(settings.For("[::1]:5001").PlainHttp);
        Assert.True(settings.For("[fd00::2]:8443").Insecure);
        Assert.True(settings.For("[FD00::2]").Insecure);
    }

    [Fact]
    public void GlobalOverridesTurnSettingsOnForEveryHost()
    {
        var file = HostSettings.Parse("registries: {ghcr.io: {mirrors: [m.local]}, \"kind:5000\": {plainHttp: true}}");

        var plain = file.WithGlobalOverrides(plainHttp: true, insecure: false);
        var insecure = file.WithGlobalOverrides(plainHttp: false, insecure: true);
        var both = plain.WithGlobalOverrides(plainHttp: false, insecure: true);

        Assert.Equal(new RegistrySettings(PlainHttp: true, Mirrors: ["m.local"]), plain.For("ghcr.io"));
        Assert.Equal(new RegistrySettings(PlainHttp: true), plain.For("anything.example"));
        Assert.Equal(new RegistrySettings(PlainHttp: true, Insecure: true), insecure.For("kind:5000"));
        Assert.Equal(new RegistrySettings(Insecure: true), insecure.For("m.local"));
        Assert.Equal(new RegistrySettings(PlainHttp: true, Insecure: true), both.For("ghcr.io") with { Mirrors = [] });

        // The original is untouched.
        Assert.Equal(new RegistrySettings(Mirrors: ["m.local"]), file.For("ghcr.io"));
        Assert.Equal(file.Registries, plain.Registries);
    }

    [Fact]
    public void FlagsOffChangeNothing()
    {
        var file = HostSettings.Parse("registries: {\"kind:5000\": {plainHttp: true}}");

        var same = file.WithGlobalOverrides(plainHttp: false, insecure: false);

        Assert.Equal(Plain, same.For("kind:5000"));
        Assert.Equal(RegistrySettings.Default, same.For("ghcr.io"));
    }

    [Fact]
    public void RegistrySettingsCompareMirrorsByValue()
    {
        Assert.Equal(new RegistrySettings(Mirrors: ["a", "b"]), new RegistrySettings(Mirrors: new List<string> { "a", "b" }));
        Assert.NotEqual(new RegistrySettings(Mirrors: ["a", "b"]), new RegistrySettings(Mirrors: ["b", "a"]));
        Assert.Equal(
            new RegistrySettings(Mirrors: ["a"]).GetHashCode(),
            new RegistrySettings(Mirrors: new List<string> { "a" }).GetHashCode());
        Assert.Empty(new RegistrySettings().Mirrors);
    }
}
