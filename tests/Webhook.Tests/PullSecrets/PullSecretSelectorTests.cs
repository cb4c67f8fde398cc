using k8s;
using OrasAssemble.Tests.Kubernetes;
using OrasAssemble.Webhook.Admission;
using OrasAssemble.Webhook.Mutation;
using OrasAssemble.Webhook.Pods;
using OrasAssemble.Webhook.PullSecrets;

namespace OrasAssemble.Webhook.Tests.PullSecrets;

/// <summary>Which secret an injected volume names, with KubernetesClient reading service accounts from a fake API server.</summary>
public sealed class PullSecretSelectorTests : IAsyncLifetime
{
    private FakeApiServer api = null!;

    public async Task InitializeAsync()
    {
        api = await FakeApiServer.StartAsync();
        api.AddServiceAccount("shop", "default", ["sa-default-secret"]);
        api.AddServiceAccount("shop", "builder", ["sa-builder-secret", "sa-second"]);
        api.AddServiceAccount("shop", "bare");
    }

    public async Task DisposeAsync() => await api.DisposeAsync();

    private PullSecretSelector Selector(FailurePolicy policy = FailurePolicy.Fail, string token = FakeApiServer.Token) =>
        new(new ServiceAccountReader(
            new Kubernetes(new KubernetesClientConfiguration { Host = api.Url.ToString(), AccessToken = token }), TimeSpan.FromMilliseconds(500)), policy);

    private static Pod Pod(string? annotation = null, string[]? pullSecrets = null, string? serviceAccount = null) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = "p",
            Annotations = annotation is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [PodAnnotations.PullSecret] = annotation },
        },
        Spec = new PodSpec
        {
            ImagePullSecrets = pullSecrets?.Select(n => new LocalObjectReference { Name = n }).ToList(),
            ServiceAccountName = serviceAccount,
        },
    };

    [Fact]
    public async Task The_annotation_comes_first_then_the_pods_pull_secrets_then_its_service_accounts()
    {
        var selector = Selector();

        var annotated = await selector.ChooseAsync(Pod(" chosen ", ["own"]), "shop", default);
        var own = await selector.ChooseAsync(Pod(pullSecrets: ["own", "other"]), "shop", default);
        Assert.Equal(0, api.Count("serviceaccounts"));
        var named = await selector.ChooseAsync(Pod(serviceAccount: "builder"), "shop", default);
        var defaulted = await selector.ChooseAsync(Pod(), "shop", default);
        var none = await selector.ChooseAsync(Pod(serviceAccount: "bare"), "shop", default);
        var missing = await selector.ChooseAsync(Pod(serviceAccount: "gone"), "shop", default);

        Assert.Equal(new PullSecretChoice("chosen", PullSecretSource.Annotation), annotated);
        Assert.Equal(new PullSecretChoice("own", PullSecretSource.Pod), own);
        Assert.Equal(new PullSecretChoice("sa-builder-secret", PullSecretSource.ServiceAccount), named);
        Assert.Equal(new PullSecretChoice("sa-default-secret", PullSecretSource.ServiceAccount), defaulted);
        Assert.Equal(PullSecretChoice.None, none);
        Assert.Equal(PullSecretChoice.None, missing);
        Assert.Equal(
            ["/api/v1/namespaces/shop/serviceaccounts/builder", "/api/v1/namespaces/shop/serviceaccounts/default",
             "/api/v1/namespaces/shop/serviceaccounts/bare", "/api/v1/namespaces/shop/serviceaccounts/gone"],
            api.Requests.ToArray());
    }

    [Fact]
    public async Task An_annotation_that_is_not_a_secret_name_is_refused()
    {
        var e = await Assert.ThrowsAsync<PodRejectedException>(() => Selector().ChooseAsync(Pod("Not_A/Name"), "shop", default));

        Assert.Equal("annotation assemble.oras.land/pull-secret is \"Not_A/Name\", which is not a secret name (lowercase letters, digits, '-' and '.', at most 253)", e.Message);
    }

    [Fact]
    public async Task A_slow_or_refusing_api_server_fails_closed_under_Fail_and_leaves_the_secret_out_with_a_warning_under_Ignore()
    {
        api.Delay = TimeSpan.FromSeconds(3);
        var started = DateTime.UtcNow;
        var slow = await Assert.ThrowsAsync<ServiceAccountReadException>(() => Selector().ChooseAsync(Pod(), "shop", default));
        var elapsed = DateTime.UtcNow - started;
        api.Delay = TimeSpan.Zero;
        api.Forbidden["serviceaccounts"] = true;
        var forbidden = await Assert.ThrowsAsync<ServiceAccountReadException>(() => Selector().ChooseAsync(Pod(), "shop", default));
        var ignored = await Selector(FailurePolicy.Ignore).ChooseAsync(Pod(), "shop", default);
        api.Forbidden.Clear();
        var badToken = await Assert.ThrowsAsync<ServiceAccountReadException>(() => Selector(token: "wrong").ChooseAsync(Pod(), "shop", default));

        Assert.Equal("cannot read service account shop/default from the API server: no answer within 500ms", slow.Message);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
        Assert.Equal("cannot read service account shop/default from the API server: 403 Forbidden", forbidden.Message);
        Assert.Equal(new PullSecretChoice(null, PullSecretSource.None, forbidden.Message), ignored);
        Assert.Equal("cannot read service account shop/default from the API server: 401 Unauthorized", badToken.Message);
    }
}
