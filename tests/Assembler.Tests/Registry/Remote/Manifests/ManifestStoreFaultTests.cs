using Microsoft.AspNetCore.Http;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Tests.Registry.Remote.Manifests;

/// <summary>Manifests and tags through a repository against the in-process faulty registry: size cap, digest, HEAD fallback, paging.</summary>
public sealed class ManifestStoreFaultTests : FaultyRegistryTests
{
    [Fact]
    public async Task Manifest_over_the_size_cap_is_refused_before_it_is_read()
    {
        var huge = new byte[5 * 1024 * 1024];
        Array.Fill(huge, (byte)' ');
        Server.AddManifest("big", huge);

        var error = await Assert.ThrowsAsync<SizeLimitExceededException>(() => Repo.FetchAsync("big"));
        Assert.Contains("over the limit of 4194304", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_over_the_size_cap_without_a_length_is_cut_off()
    {
        Server.Fault = async (context, _) =>
        {
            context.Response.ContentType = MediaTypes.ImageManifest;
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 80; i++)
            {
                await context.Response.Body.WriteAsync(chunk);
            }

            return true;
        };

        var error = await Assert.ThrowsAsync<SizeLimitExceededException>(() => Repo.FetchAsync("chunked"));
        Assert.Contains("over the limit of 4194304 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifest_whose_body_does_not_match_the_digest_asked_for_is_rejected()
    {
        var manifest = "{\"schemaVersion\":2}"u8.ToArray();
        var descriptor = Server.AddManifest("v1", manifest);
        Server.Manifests[descriptor.Digest] = (MediaTypes.ImageManifest, "{\"schemaVersion\":3}"u8.ToArray());

        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => Repo.FetchAsync(descriptor.Digest));
        Assert.Contains($"digest mismatch: expected {descriptor.Digest}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_falls_back_to_GET_when_HEAD_is_not_allowed()
    {
        var manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"u8.ToArray();
        var descriptor = Server.AddManifest("v1", manifest, MediaTypes.ImageIndex);
        Server.Fault = (context, _) =>
        {
            if (context.Request.Method != "HEAD")
            {
                return Task.FromResult(false);
            }

            context.Response.StatusCode = 405;
            return Task.FromResult(true);
        };

        var resolved = await Repo.ResolveAsync("v1");
        Assert.Equal(descriptor with { MediaType = MediaTypes.ImageIndex }, resolved);
        Assert.Equal(1, Server.Count("GET", "/v2/test/app/manifests/v1"));
    }

    [Fact]
    public async Task Tag_listing_follows_Link_pagination()
    {
        Server.Fault = async (context, _) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v2/test/app/tags/list"))
            {
                return false;
            }

            var last = context.Request.Query["last"].ToString();
            var (tags, next) = last switch
            {
                "" => ("\"a\",\"b\"", "</v2/test/app/tags/list?last=b&n=2>; rel=\"next\""),
                "b" => ("\"c\",\"d\"", "</v2/test/app/tags/list?last=d&n=2>; rel=\"next\""),
                _ => ("\"e\"", null),
            };
            if (next is not null)
            {
                context.Response.Headers.Link = next;
            }

            await context.Response.WriteAsync($$"""{"name":"test/app","tags":[{{tags}}]}""");
            return true;
        };

        var listed = new List<string>();
        await foreach (var tag in Repo.ListTagsAsync())
        {
            listed.Add(tag);
        }

        Assert.Equal(["a", "b", "c", "d", "e"], listed);
        Assert.Equal(3, Server.Count("GET", "/v2/test/app/tags/list"));
    }
}
