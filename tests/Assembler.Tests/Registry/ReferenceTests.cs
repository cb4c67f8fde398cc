using OrasAssemble.Registry;

namespace OrasAssemble.Tests.Registry;

public sealed class ReferenceTests
{
    private const string Sha256 = "sha256:6d3bd2e4e8b3a4c8d8f9a3f1e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09";
    private const string OtherSha256 = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    private static readonly string Sha512 = "sha512:" + new string('a', 128);

    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", "latest", null, "docker.io/library/ubuntu:latest")]
    [InlineData("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", null, "docker.io/library/ubuntu:22.04")]
    [InlineData("library/ubuntu", "docker.io", "library/ubuntu", "latest", null, "docker.io/library/ubuntu:latest")]
    [InlineData("user/app", "docker.io", "user/app", "latest", null, "docker.io/user/app:latest")]
    [InlineData("user/team/app:v1", "docker.io", "user/team/app", "v1", null, "docker.io/user/team/app:v1")]
    [InlineData("docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", null, "docker.io/library/ubuntu:latest")]
    [InlineData("docker.io/library/ubuntu", "docker.io", "library/ubuntu", "latest", null, "docker.io/library/ubuntu:latest")]
    [InlineData("index.docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", null, "docker.io/library/ubuntu:latest")]
    [InlineData("index.docker.io/library/ubuntu:20.04", "docker.io", "library/ubuntu", "20.04", null, "docker.io/library/ubuntu:20.04")]
    [InlineData("ghcr.io/oras-project/oras:v1.2.0", "ghcr.io", "oras-project/oras", "v1.2.0", null, "ghcr.io/oras-project/oras:v1.2.0")]
    [InlineData("gcr.io/distroless/static:nonroot", "gcr.io", "distroless/static", "nonroot", null, "gcr.io/distroless/static:nonroot")]
    [InlineData("localhost/foo", "localhost", "foo", "latest", null, "localhost/foo:latest")]
    [InlineData("LocalHost/foo", "localhost", "foo", "latest", null, "localhost/foo:latest")]
    [InlineData("localhost:5000/foo/bar:1", "localhost:5000", "foo/bar", "1", null, "localhost:5000/foo/bar:1")]
    [InlineData("127.0.0.1:5000/apps/hello-spec:1.0", "127.0.0.1:5000", "apps/hello-spec", "1.0", null, "127.0.0.1:5000/apps/hello-spec:1.0")]
    [InlineData("10.0.0.7/app", "10.0.0.7", "app", "latest", null, "10.0.0.7/app:latest")]
    [InlineData("kind-registry:5000/app", "kind-registry:5000", "app", "latest", null, "kind-registry:5000/app:latest")]
    [InlineData("[::1]:5000/foo", "[::1]:5000", "foo", "latest", null, "[::1]:5000/foo:latest")]
    [InlineData("[2001:DB8::1]/foo", "[2001:db8::1]", "foo", "latest", null, "[2001:db8::1]/foo:latest")]
    [InlineData("Registry.Example.COM/app", "registry.example.com", "app", "latest", null, "registry.example.com/app:latest")]
    [InlineData("my-registry.local:443/team/app", "my-registry.local:443", "team/app", "latest", null, "my-registry.local:443/team/app:latest")]
    [InlineData("a.b/c__d/e---f/g.h_i:TAG_1.x-y", "a.b", "c__d/e---f/g.h_i", "TAG_1.x-y", null, "a.b/c__d/e---f/g.h_i:TAG_1.x-y")]
    [InlineData("foo:_underscore", "docker.io", "library/foo", "_underscore", null, "docker.io/library/foo:_underscore")]
    // Docker reads a lone "localhost:5000" as the image localhost with tag 5000; so do we.
    [InlineData("localhost", "docker.io", "library/localhost", "latest", null, "docker.io/library/localhost:latest")]
    [InlineData("localhost:5000", "docker.io", "library/localhost", "5000", null, "docker.io/library/localhost:5000")]
    [InlineData("registry.example/apps/hello-conf@" + Sha256, "registry.example", "apps/hello-conf", null, Sha256, "registry.example/apps/hello-conf@" + Sha256)]
    [InlineData("host:5000/repo@" + Sha256, "host:5000", "repo", null, Sha256, "host:5000/repo@" + Sha256)]
    [InlineData("host.example/repo:tag@" + Sha256, "host.example", "repo", "tag", Sha256, "host.example/repo:tag@" + Sha256)]
    // Without '.', ':' or "localhost" the first component is a Docker Hub namespace, not a host.
    [InlineData("host/repo:tag", "docker.io", "host/repo", "tag", null, "docker.io/host/repo:tag")]
    [InlineData("ubuntu@" + Sha256, "docker.io", "library/ubuntu", null, Sha256, "docker.io/library/ubuntu@" + Sha256)]
    [InlineData("ubuntu:22.04@" + Sha256, "docker.io", "library/ubuntu", "22.04", Sha256, "docker.io/library/ubuntu:22.04@" + Sha256)]
    public void Parse_normalizes_valid_references(string input, string registry, string repository, string? tag, string? digest, string normalized)
    {
        var reference = Reference.Parse(input);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(normalized, reference.ToString());
    }

    [Theory]
    [InlineData("ubuntu")]
    [InlineData("ghcr.io/oras-project/oras:v1.2.0")]
    [InlineData("127.0.0.1:5000/apps/hello-spec@" + Sha256)]
    [InlineData("host.example/repo:tag@" + Sha256)]
    [InlineData("[::1]:5000/foo")]
    public void ToString_parses_back_to_an_equal_reference(string input)
    {
        var reference = Reference.Parse(input);

        var again = Reference.Parse(reference.ToString());

        Assert.Equal(reference, again);
        Assert.Equal(reference.ToString(), again.ToString());
    }

    [Fact]
    public void Sha512_digests_are_accepted()
    {
        var reference = Reference.Parse("ghcr.io/a/b@" + Sha512);

        Assert.Equal(Sha512, reference.Digest);
        Assert.Null(reference.Tag);
    }

    [Fact]
    public void Equal_spellings_of_one_reference_are_equal()
    {
        Assert.Equal(Reference.Parse("ubuntu"), Reference.Parse("index.docker.io/library/ubuntu:latest"));
        Assert.NotEqual(Reference.Parse("ubuntu"), Reference.Parse("ubuntu:22.04"));
    }

    [Theory]
    [InlineData("", "reference is empty")]
    [InlineData(" ubuntu", "must not contain whitespace")]
    [InlineData("ubuntu:22.04\n", "must not contain whitespace")]
    [InlineData("my app", "must not contain whitespace")]
    [InlineData("https://ghcr.io/foo", "a reference has no URL scheme")]
    [InlineData("Ubuntu", "repository \"Ubuntu\" must be lowercase")]
    [InlineData("ghcr.io/Org/App:v1", "repository \"Org/App\" must be lowercase")]
    [InlineData("User/app", "repository \"User/app\" must be lowercase")]
    [InlineData("ubuntu:", "tag after ':' is empty")]
    [InlineData("ubuntu:-bad", "tag \"-bad\" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'")]
    [InlineData("ubuntu:.bad", "tag \".bad\" is invalid")]
    [InlineData("ubuntu:a+b", "tag \"a+b\" is invalid")]
    [InlineData("ubuntu:é", "tag \"é\" is invalid")]
    [InlineData("ubuntu@", "digest after '@' is empty")]
    [InlineData("ubuntu@sha256:abc", "invalid digest \"sha256:abc\": a sha256 digest has 64 lowercase hex characters")]
    [InlineData("ubuntu@latest", "invalid digest \"latest\": expected <algorithm>:<hex>")]
    [InlineData("ubuntu@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm \"md5\"")]
    [InlineData("ubuntu@sha256:6D3BD2E4E8B3A4C8D8F9A3F1E2C1B0A9F8E7D6C5B4A39281706F5E4D3C2B1A09", "a sha256 digest has 64 lowercase hex characters")]
    [InlineData("ubuntu@" + Sha256 + "@" + Sha256, "invalid digest")]
    [InlineData("localhost:abc/foo", "port \"abc\" of registry \"localhost:abc\" is not a number")]
    [InlineData("localhost:70000/foo", "port 70000 of registry \"localhost:70000\" is outside 1-65535")]
    [InlineData("localhost:0/foo", "port 0 of registry \"localhost:0\" is outside 1-65535")]
    [InlineData("localhost:99999999999/foo", "port 99999999999 of registry \"localhost:99999999999\" is outside 1-65535")]
    [InlineData("localhost:/foo", "registry \"localhost:\" has an empty port after ':'")]
    [InlineData("host:1:2/foo", "port \"1:2\" of registry \"host:1:2\" is not a number")]
    [InlineData(":5000/foo", "registry \":5000\" has no host name before the port")]
    [InlineData("my_host.com/foo", "registry host \"my_host.com\" is not a valid host name or IPv4 address")]
    [InlineData("-host.com/foo", "registry host \"-host.com\" is not a valid host name")]
    [InlineData("host..com/foo", "registry host \"host..com\" is not a valid host name")]
    [InlineData("[::1/foo", "registry \"[::1\" opens '[' for an IPv6 address but never closes it")]
    [InlineData("[zz::1]:5000/foo", "registry \"[zz::1]:5000\" has \"zz::1\" in brackets, which is not an IPv6 address")]
    [InlineData("[127.0.0.1]/foo", "which is not an IPv6 address")]
    [InlineData("[::1]x/foo", "registry \"[::1]x\" has \"x\" after the IPv6 address where only :port may follow")]
    [InlineData("ghcr.io/", "repository name is missing after registry \"ghcr.io\"")]
    [InlineData(":tag", "repository name is missing")]
    [InlineData("@" + Sha256, "repository name is missing")]
    [InlineData("foo//bar", "repository \"foo//bar\" has an empty path component")]
    [InlineData("foo/", "repository \"foo/\" has an empty path component")]
    [InlineData("ghcr.io//foo", "repository \"/foo\" has an empty path component")]
    [InlineData("foo..bar", "repository path component \"foo..bar\" is invalid: use lowercase letters and digits, separated by '.', '_', '__' or dashes")]
    [InlineData("a___b", "repository path component \"a___b\" is invalid")]
    [InlineData("ghcr.io/org/app-", "repository path component \"app-\" is invalid")]
    [InlineData("_app", "repository path component \"_app\" is invalid")]
    [InlineData("a.-b", "repository path component \"a.-b\" is invalid")]
    [InlineData("foo:bar:baz", "repository path component \"foo:bar\" is invalid")]
    [InlineData("6d3bd2e4e8b3a4c8d8f9a3f1e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09", "a 64-character hexadecimal string is an image ID, not a repository name")]
    public void Parse_rejects_invalid_references_saying_what_is_wrong(string input, string problem)
    {
        var error = Assert.Throws<InvalidReferenceException>(() => Reference.Parse(input));

        Assert.StartsWith($"invalid reference \"{input}\": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(input, error.Input);
        Assert.IsAssignableFrom<FormatException>(error);
        Assert.False(Reference.TryParse(input, out var reference));
        Assert.Null(reference);
    }

    [Fact]
    public void Tags_may_be_128_characters_but_not_129()
    {
        var longest = new string('t', 128);

        Assert.Equal(longest, Reference.Parse("ubuntu:" + longest).Tag);
        var error = Assert.Throws<InvalidReferenceException>(() => Reference.Parse("ubuntu:" + longest + "t"));
        Assert.EndsWith("tag is 129 characters long; the limit is 128", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_may_be_255_characters_but_not_256()
    {
        var name = "ghcr.io/org/" + new string('a', 255 - "ghcr.io/org/".Length);
        Assert.Equal(255, name.Length);

        Assert.Equal(name + ":latest", Reference.Parse(name).ToString());
        var error = Assert.Throws<InvalidReferenceException>(() => Reference.Parse(name + "b:v1"));
        Assert.EndsWith("name is 256 characters long; the limit is 255", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_length_counts_the_normalized_name()
    {
        // 238 characters as written, 256 once "docker.io/library/" is added.
        var written = new string('a', 238);

        var error = Assert.Throws<InvalidReferenceException>(() => Reference.Parse(written));

        Assert.EndsWith("name is 256 characters long; the limit is 255", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_returns_the_reference_when_valid()
    {
        Assert.True(Reference.TryParse("127.0.0.1:5000/apps/hello:1.0", out var reference));
        Assert.Equal("127.0.0.1:5000/apps/hello:1.0", reference.ToString());
    }

    [Fact]
    public void TryParse_rejects_null()
    {
        Assert.False(Reference.TryParse(null!, out var reference));
        Assert.Null(reference);
    }

    [Theory]
    [InlineData("ubuntu", "registry-1.docker.io")]
    [InlineData("docker.io/user/app", "registry-1.docker.io")]
    [InlineData("index.docker.io/user/app", "registry-1.docker.io")]
    [InlineData("ghcr.io/a/b", "ghcr.io")]
    [InlineData("127.0.0.1:5000/a", "127.0.0.1:5000")]
    [InlineData("localhost:5000/a", "localhost:5000")]
    public void Host_is_the_endpoint_to_connect_to(string input, string host)
    {
        Assert.Equal(host, Reference.Parse(input).Host);
    }

    [Theory]
    [InlineData("ubuntu", "latest")]
    [InlineData("ubuntu:22.04", "22.04")]
    [InlineData("ubuntu@" + Sha256, Sha256)]
    [InlineData("ubuntu:22.04@" + Sha256, Sha256)]
    public void ContentReference_prefers_the_digest(string input, string content)
    {
        Assert.Equal(content, Reference.Parse(input).ContentReference);
    }

    [Fact]
    public void WithTag_points_at_the_tag_and_drops_the_digest()
    {
        var pinned = Reference.Parse("ghcr.io/a/b:1.0@" + Sha256);

        var retagged = pinned.WithTag("1.1");

        Assert.Equal("ghcr.io/a/b:1.1", retagged.ToString());
        Assert.Equal("1.1", retagged.ContentReference);
        Assert.Null(retagged.Digest);
        Assert.Equal("ghcr.io/a/b:1.0@" + Sha256, pinned.ToString());
    }

    [Theory]
    [InlineData("", "tag after ':' is empty")]
    [InlineData("-x", "tag \"-x\" is invalid")]
    [InlineData("a/b", "tag \"a/b\" is invalid")]
    [InlineData("v1\n", "tag \"v1\n\" is invalid")]
    public void WithTag_rejects_invalid_tags(string tag, string problem)
    {
        var reference = Reference.Parse("ghcr.io/a/b");

        var error = Assert.Throws<InvalidReferenceException>(() => reference.WithTag(tag));

        Assert.StartsWith($"invalid reference \"ghcr.io/a/b:{tag}\": {problem}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithDigest_pins_the_content_and_keeps_the_tag()
    {
        var tagged = Reference.Parse("ghcr.io/a/b:1.0");

        var pinned = tagged.WithDigest(Sha256);
        var repinned = pinned.WithDigest(OtherSha256);

        Assert.Equal("ghcr.io/a/b:1.0@" + Sha256, pinned.ToString());
        Assert.Equal(Sha256, pinned.ContentReference);
        Assert.Equal("ghcr.io/a/b:1.0@" + OtherSha256, repinned.ToString());
        Assert.Equal("ghcr.io/a/b:1.0", tagged.ToString());
    }

    [Theory]
    [InlineData("", "digest after '@' is empty")]
    [InlineData("sha256:abc", "a sha256 digest has 64 lowercase hex characters")]
    [InlineData("latest", "expected <algorithm>:<hex>")]
    [InlineData(Sha256 + "\n", "must not contain whitespace")]
    public void WithDigest_rejects_invalid_digests(string digest, string problem)
    {
        var reference = Reference.Parse("ghcr.io/a/b:1.0");

        var error = Assert.Throws<InvalidReferenceException>(() => reference.WithDigest(digest));

        Assert.StartsWith($"invalid reference \"ghcr.io/a/b@{digest}\": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
