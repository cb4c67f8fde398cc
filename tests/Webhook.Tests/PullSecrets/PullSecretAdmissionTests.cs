using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using OrasAssemble.Tests.Kubernetes;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.PullSecrets;

/// <summary>
/// Each pull-secret rule end to end: reviews posted over HTTPS to the real webhook host, which reads service accounts
/// from the in-process fake API server; the patch is applied with an independent RFC 6902 implementation and the
/// injected volume's <c>nodePublishSecretRef</c> read from the resulting pod.
/// </summary>
public sealed class PullSecretAdmissionTests(AdmissionFixture fixture) : IClassFixture<AdmissionFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private FakeApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeApiServer.StartAsync();
        await File.WriteAllTextAsync(_temp.Combine("api-token"), FakeApiServer.Token);
        await File.WriteAllTextAsync(_temp.Combine("config.yaml"), """
            registries:
              "127.0.0.1:*":
                plainHttp: true
            webhook:
              namespaces: [shop]
            """);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _temp.Dispose();
    }

    private Task<WebhookInstance> StartAsync(FailurePolicy policy, Uri? apiServer = null) =>
        WebhookInstance.StartAsync(fixture.Authority, _temp.Path, options => options with
        {
            ConfigFile = _temp.Combine("config.yaml"),
            ApiServer = apiServer ?? _api.Url,
            ApiTokenFile = _temp.Combine("api-token"),
            ApiTimeout = TimeSpan.FromSeconds(1),
            FailurePolicy = policy,
        });

    /// <summary>The bare pod of namespace shop, run as <paramref name="serviceAccount"/>, with these pull secrets.</summary>
    private JsonObject Review(string serviceAccount = "default", params string[] imagePullSecrets)
    {
        var review = Reviews.Load("bare-pod", new Dictionary<string, string> { ["SPEC"] = fixture.HelloSpec });
        var spec = Reviews.Pod(review)["spec"]!.AsObject();
        spec["serviceAccountName"] = serviceAccount;
        spec["serviceAccount"] = serviceAccount;
        if (imagePullSecrets.Length > 0)
        {
            spec["imagePullSecrets"] = new JsonArray([.. imagePullSecrets.Select(n => (JsonNode)new JsonObject { ["name"] = n })]);
        }

        return review;
    }

    /// <summary>The injected volume's secret ref in the patched pod; null when it has none.</summary>
    private static string? SecretRef(ReviewAnswer answer, JsonObject review)
    {
        Assert.True(answer.Allowed, answer.ToString());
        var pod = answer.ApplyTo(review);
        var volume = Assert.Single((JArray)pod["spec"]!["volumes"]!, v => (string?)v["name"] == "oras-assemble");
        Assert.Equal("csi.oras.land", (string?)volume["csi"]!["driver"]);
        return (string?)volume["csi"]!["nodePublishSecretRef"]?["name"];
    }

    [Fact]
    public async Task The_annotation_comes_first_then_the_pods_own_secret_then_the_service_accounts_then_none()
    {
        _api.AddServiceAccount("shop", "builder", ["builder-pull", "builder-other"]);
        _api.AddServiceAccount("shop", "default");
        await using var webhook = await StartAsync(FailurePolicy.Fail);

        var annotated = Reviews.Annotate(Review("builder", "own-pull"), "assemble.oras.land/pull-secret", "chosen-pull");
        var annotatedAnswer = await webhook.ReviewAsync(annotated);
        var own = Review("builder", "own-pull", "own-other");
        var ownAnswer = await webhook.ReviewAsync(own);
        var requestsBeforeAccount = _api.Requests.Count;
        var account = Review("builder");
        var accountAnswer = await webhook.ReviewAsync(account);
        var none = Review();
        var noneAnswer = await webhook.ReviewAsync(none);

        Assert.Equal("chosen-pull", SecretRef(annotatedAnswer, annotated));
        Assert.Equal("own-pull", SecretRef(ownAnswer, own));
        Assert.Equal(0, requestsBeforeAccount);
        Assert.Equal("builder-pull", SecretRef(accountAnswer, account));
        Assert.Null(SecretRef(noneAnswer, none));
        Assert.Equal(["/api/v1/namespaces/shop/serviceaccounts/builder", "/api/v1/namespaces/shop/serviceaccounts/default"], _api.Requests);
        Assert.All([annotatedAnswer, ownAnswer, accountAnswer, noneAnswer], a => Assert.Empty(a.Warnings));
    }

    [Fact]
    public async Task An_already_wired_pod_gets_no_second_patch_and_its_service_account_is_not_read_again()
    {
        _api.AddServiceAccount("shop", "builder", ["builder-pull"]);
        await using var webhook = await StartAsync(FailurePolicy.Fail);
        var review = Review("builder");
        var first = await webhook.ReviewAsync(review);
        Assert.Equal("builder-pull", SecretRef(first, review));

        var again = Review("builder");
        again["request"]!["object"] = JsonNode.Parse(first.ApplyTo(review).ToString());
        var second = await webhook.ReviewAsync(again);

        Assert.True(second.Allowed, second.ToString());
        Assert.Null(second.Patch);
        Assert.Single(_api.Requests);
    }

    [Fact]
    public async Task A_slow_or_down_API_server_refuses_the_pod_with_503_under_Fail_within_the_timeout()
    {
        _api.AddServiceAccount("shop", "builder", ["builder-pull"]);
        _api.Delay = TimeSpan.FromSeconds(60);
        await using var webhook = await StartAsync(FailurePolicy.Fail);
        var down = await FakeApiServer.StartAsync();
        var downUrl = down.Url;
        await down.DisposeAsync();
        await using var unreachable = await StartAsync(FailurePolicy.Fail, downUrl);

        var clock = Stopwatch.StartNew();
        var slow = await webhook.ReviewAsync(Review("builder"));
        var took = clock.Elapsed;
        var refused = await unreachable.ReviewAsync(Review("builder"));

        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        Assert.False(slow.Allowed);
        Assert.Equal(503, slow.Code);
        Assert.Equal("ServiceUnavailable", slow.Reason);
        Assert.Equal("cannot read service account shop/builder from the API server: no answer within 1s", slow.Message);
        Assert.True(took < TimeSpan.FromSeconds(20), $"the answer took {took}");
        Assert.False(refused.Allowed);
        Assert.Equal(503, refused.Code);
        Assert.StartsWith("cannot read service account shop/builder from the API server: ", refused.Message, StringComparison.Ordinal);
        Assert.Null(slow.Patch);
        Assert.Null(refused.Patch);
    }

    [Fact]
    public async Task A_slow_or_refusing_API_server_admits_the_pod_wired_without_a_secret_ref_and_with_a_warning_under_Ignore()
    {
        _api.AddServiceAccount("shop", "builder", ["builder-pull"]);
        _api.Delay = TimeSpan.FromSeconds(60);
        await using var webhook = await StartAsync(FailurePolicy.Ignore);

        var slowReview = Review("builder");
        var clock = Stopwatch.StartNew();
        var slow = await webhook.ReviewAsync(slowReview);
        var took = clock.Elapsed;
        _api.Delay = TimeSpan.Zero;
        _api.Forbidden["serviceaccounts"] = true;
        var forbiddenReview = Review("builder");
        var forbidden = await webhook.ReviewAsync(forbiddenReview);

        Assert.Null(SecretRef(slow, slowReview));
        Assert.Equal(
            ["the oras-assemble volume has no nodePublishSecretRef (the webhook's failure policy is Ignore): cannot read service account shop/builder from the API server: no answer within 1s"],
            slow.Warnings);
        Assert.True(took < TimeSpan.FromSeconds(20), $"the answer took {took}");
        Assert.Null(SecretRef(forbidden, forbiddenReview));
        Assert.Equal(
            ["the oras-assemble volume has no nodePublishSecretRef (the webhook's failure policy is Ignore): cannot read service account shop/builder from the API server: 403 Forbidden"],
            forbidden.Warnings);
        Assert.Equal(2, webhook.Logs.Entries.Count(e => e.EventId == 2008));
    }
}
