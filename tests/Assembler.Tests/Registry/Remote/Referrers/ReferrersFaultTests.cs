using OrasAssemble.Oci;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Registry.Remote;

namespace OrasAssemble.Tests.Registry.Remote.Referrers;

/// <summary>Referrers through a repository against the in-process faulty registry, which serves the referrers API.</summary>
public sealed class ReferrersFaultTests : FaultyRegistryTests
{
    [Fact]
    public async Task Referrers_API_is_used_when_the_registry_serves_it()
    {
        var subject = Server.AddManifest("v1", "{\"schemaVersion\":2}"u8.ToArray());
        var referrer = new Descriptor { MediaType = MediaTypes.ImageManifest, Digest = Digest.ComputeSha256("r"u8), Size = 1, ArtifactType = "application/vnd.example.sig" };
        Server.Fault = async (context, _) =>
        {
            if (context.Request.Path != $"/v2/test/app/referrers/{subject.Digest}")
            {
                return false;
            }

            context.Response.ContentType = MediaTypes.ImageIndex;
            await context.Response.Body.WriteAsync(OciJson.Serialize(new Oci.Index { Manifests = [referrer] }));
            return true;
        };

        var repo = Repo;
        var found = new List<Descriptor>();
        await foreach (var d in repo.FetchReferrersAsync(subject))
        {
            found.Add(d);
        }

        Assert.Equal([referrer], found);
        Assert.True(repo.SupportsReferrersApi);
        Assert.Equal(0, Server.Count("GET", "/v2/test/app/manifests/sha256-"));
    }
}
