using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;

namespace OrasAssemble.Tests.Registry.Remote.Referrers;

/// <summary>Referrers through a repository against a real CNCF Distribution registry (no referrers API: the tag fallback).</summary>
public sealed class ReferrersRegistryTests(AnonymousRegistryFixture fixture) : RegistryRepositoryTests(fixture), IClassFixture<AnonymousRegistryFixture>
{
    [Fact]
    public async Task Referrers_are_found_through_the_tag_fallback_and_dropped_on_delete()
    {
        var repo = Repo("referrers/app");
        var (subject, _) = await PushArtifactAsync(repo, "app.jar", "the application");
        var (sbom, _) = await PushArtifactAsync(repo, "sbom.json", "{}", artifactType: "application/vnd.example.sbom", subject: subject);
        var (signature, _) = await PushArtifactAsync(repo, "sig", "signed", artifactType: "application/vnd.example.sig", subject: subject);

        var all = await ListReferrersAsync(repo, subject, null);
        var sboms = await ListReferrersAsync(repo, subject, "application/vnd.example.sbom");

        Assert.False(repo.SupportsReferrersApi);
        Assert.Equal([sbom.Digest, signature.Digest], all.Select(d => d.Digest));
        Assert.Equal("application/vnd.example.sbom", all[0].ArtifactType);
        Assert.Equal(sbom.Digest, Assert.Single(sboms).Digest);
        Assert.Contains(Repository.ReferrersTag(subject), await ListTagsAsync(repo));

        await repo.DeleteAsync(sbom);

        Assert.Equal([signature.Digest], (await ListReferrersAsync(repo, subject, null)).Select(d => d.Digest));
        Assert.False(await repo.ExistsAsync(sbom));
    }

    private static async Task<List<Descriptor>> ListReferrersAsync(Repository repo, Descriptor subject, string? artifactType)
    {
        var result = new List<Descriptor>();
        await foreach (var d in repo.FetchReferrersAsync(subject, artifactType))
        {
            result.Add(d);
        }

        return result;
    }

    private static async Task<List<string>> ListTagsAsync(Repository repo)
    {
        var result = new List<string>();
        await foreach (var t in repo.ListTagsAsync())
        {
            result.Add(t);
        }

        return result;
    }
}
