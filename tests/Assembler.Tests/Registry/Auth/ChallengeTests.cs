using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Tests.Registry.Auth;

public sealed class ChallengeTests
{
    // One line per challenge: scheme(name=value; ...) with names sorted, so a table row shows the whole outcome.
    private static string Describe(IEnumerable<Challenge> challenges) => string.Join(" | ", challenges.Select(c =>
        c.Scheme + "(" + string.Join("; ", c.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) + ")"));

    [Theory]
    // Docker Hub, anonymous pull.
    [InlineData(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/ubuntu:pull\"",
        "bearer(realm=https://auth.docker.io/token; scope=repository:library/ubuntu:pull; service=registry.docker.io)")]
    // distribution's token auth refusing a push: the scope holds a comma inside quotes.
    [InlineData(
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:samalba/my-app:pull,push\",error=\"insufficient_scope\"",
        "bearer(error=insufficient_scope; realm=https://auth.docker.io/token; scope=repository:samalba/my-app:pull,push; service=registry.docker.io)")]
    [InlineData(
        "Bearer realm=\"http://127.0.0.1:5001/auth\",service=\"Docker registry\",error=\"invalid_token\"",
        "bearer(error=invalid_token; realm=http://127.0.0.1:5001/auth; service=Docker registry)")]
    // GitHub Container Registry.
    [InlineData(
        "Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:user/image:pull\"",
        "bearer(realm=https://ghcr.io/token; scope=repository:user/image:pull; service=ghcr.io)")]
    // distribution with htpasswd.
    [InlineData("Basic realm=\"basic-realm\"", "basic(realm=basic-realm)")]
    [InlineData("Basic realm=\"Registry Realm\", charset=\"UTF-8\"", "basic(charset=UTF-8; realm=Registry Realm)")]
    [InlineData("Basic", "basic()")]
    [InlineData(
        "Basic realm=\"a, b\", Bearer realm=\"https://r.example/token\",service=\"r.example\"",
        "basic(realm=a, b) | bearer(realm=https://r.example/token; service=r.example)")]
    [InlineData("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
        "newauth(realm=apps; title=Login to \"apps\"; type=1) | basic(realm=simple)")]
    [InlineData("BEARER REALM=\"x\", Service=y", "bearer(realm=x; service=y)")]
    [InlineData("Bearer realm=\"a\\\\b\\\"c\"", "bearer(realm=a\\b\"c)")]
    [InlineData("Bearer   realm = \"x\" ,  service =\t\"y\"  ", "bearer(realm=x; service=y)")]
    [InlineData("Bearer realm=https://r.example/token,service=r.example,scope=repository:a:pull",
        "bearer(realm=https://r.example/token; scope=repository:a:pull; service=r.example)")]
    [InlineData("Bearer realm=\"first\", realm=\"second\"", "bearer(realm=first)")]
    [InlineData("Bearer realm=\"\"", "bearer(realm=)")]
    [InlineData("Negotiate YWJjZGVm==, Basic realm=\"r\"", "negotiate() | basic(realm=r)")]
    [InlineData("Bearer realm=\"a\", Negotiate", "bearer(realm=a) | negotiate()")]
    public void Parse_reads_challenges_as_registries_send_them(string header, string expected)
    {
        Assert.Equal(expected, Describe(Challenge.Parse([header])));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData(" , ,, ", "")]
    [InlineData("realm=\"orphan\"", "")]
    [InlineData("realm=\"orphan\", Basic realm=\"r\"", "basic(realm=r)")]
    [InlineData("Bearer realm=\"https://unterminated", "bearer(realm=https://unterminated)")]
    [InlineData("Bearer realm=\"x\" junk, service=\"s\"", "bearer(realm=x; service=s)")]
    [InlineData("\"quoted\", Basic realm=\"r\"", "basic(realm=r)")]
    [InlineData("=x, Bearer realm=r", "bearer(realm=r)")]
    [InlineData("Bearer realm=\"x\\", "bearer(realm=x\\)")]
    public void Parse_keeps_what_it_can_from_malformed_headers(string header, string expected)
    {
        Assert.Equal(expected, Describe(Challenge.Parse([header])));
    }

    [Fact]
    public void Parse_reads_every_header_value_in_order()
    {
        var challenges = Challenge.Parse(["Basic realm=\"one\"", "Bearer realm=\"https://two/token\",service=\"two\""]);

        Assert.Equal("basic(realm=one) | bearer(realm=https://two/token; service=two)", Describe(challenges));
    }

    [Fact]
    public void Parse_of_no_headers_is_empty()
    {
        Assert.Empty(Challenge.Parse([]));
    }

    [Fact]
    public void Convenience_properties_read_the_parameters()
    {
        var challenge = Assert.Single(Challenge.Parse([
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:a:pull\",error=\"insufficient_scope\""]));

        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:a:pull", challenge.Scope);
        Assert.Equal("insufficient_scope", challenge.Error);
    }

    [Fact]
    public void Convenience_properties_are_null_when_absent()
    {
        var challenge = Assert.Single(Challenge.Parse(["Basic realm=\"r\""]));

        Assert.Null(challenge.Service);
        Assert.Null(challenge.Scope);
        Assert.Null(challenge.Error);
    }

    [Fact]
    public void Parameter_lookups_ignore_case()
    {
        var challenge = Assert.Single(Challenge.Parse(["Bearer Realm=\"r\""]));

        Assert.Equal("r", challenge.Parameters["REALM"]);
        Assert.Equal(["realm"], challenge.Parameters.Keys);
    }

    [Fact]
    public void Constructed_challenges_are_normalized_like_parsed_ones()
    {
        var constructed = new Challenge("Bearer", new Dictionary<string, string> { ["Realm"] = "r", ["SERVICE"] = "s" });

        Assert.Equal("bearer", constructed.Scheme);
        Assert.Equal("r", constructed.Realm);
        Assert.Equal(["realm", "service"], constructed.Parameters.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Assert.Single(Challenge.Parse(["bearer realm=r, service=s"])), constructed);
    }

    [Fact]
    public void Challenges_compare_by_content()
    {
        var one = Assert.Single(Challenge.Parse(["Bearer realm=\"r\",service=\"s\""]));
        var two = Assert.Single(Challenge.Parse(["Bearer service=\"s\",realm=\"r\""]));
        var other = Assert.Single(Challenge.Parse(["Bearer realm=\"r\",service=\"t\""]));

        Assert.Equal(one, two);
        Assert.Equal(one.GetHashCode(), two.GetHashCode());
        Assert.NotEqual(one, other);
    }

    [Fact]
    public void Deconstruct_gives_scheme_and_parameters()
    {
        var (scheme, parameters) = Assert.Single(Challenge.Parse(["Basic realm=\"r\""]));

        Assert.Equal("basic", scheme);
        Assert.Equal("r", parameters["realm"]);
    }
}
