using System.Net;
using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using OrasAssemble.Spec.Model;
using OrasAssemble.Webhook.Tests.TestSupport;
using static OrasAssemble.Webhook.Tests.TestSupport.PatchedPods;

namespace OrasAssemble.Webhook.Tests.Admission;

/// <summary>
/// Admission reviews shaped as the API server sends them, posted over HTTPS to the real host; every patch is applied
/// with an independent RFC 6902 implementation and the resulting pod compared with the one expected, whole.
/// </summary>
public sealed class AdmissionReviewTests(AdmissionFixture fixture) : IClassFixture<AdmissionFixture>
{
    private const string DigestAnnotationPath = "/metadata/annotations/assemble.oras.land~1spec-digest";

    private string Pinned => fixture.HelloPinned;

    private string PinnedBase => fixture.HelloBase;

    [Fact]
    public async Task A_pod_from_a_deployment_gets_the_volume_and_a_mount_in_every_app_container_and_nothing_else()
    {
        var review = Review("deployment-pod");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("0df28fbd-5f5f-11e8-bc74-36e6bb280816", answer.Uid);
        Assert.True(answer.Allowed, answer.ToString());
        Assert.Equal("JSONPatch", answer.PatchType);
        Assert.Equal(
            ["/spec/volumes/-", "/spec/containers/0/volumeMounts/-", "/spec/containers/1/volumeMounts/-", DigestAnnotationPath],
            Paths(answer));

        var expected = OriginalPod(review);
        ((JArray)expected["spec"]!["volumes"]!).Add(Volume(Pinned));
        ((JArray)expected["spec"]!["containers"]![0]!["volumeMounts"]!).Add(Mount("/app"));
        ((JArray)expected["spec"]!["containers"]![1]!["volumeMounts"]!).Add(Mount("/app"));
        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task A_bare_pod_without_volumes_or_mounts_gets_both_lists_created()
    {
        var review = Review("bare-pod");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        Assert.Equal(["/spec/volumes", "/spec/containers/0/volumeMounts", DigestAnnotationPath], Paths(answer));
        var expected = OriginalPod(review);
        expected["spec"]!["volumes"] = new JArray(Volume(Pinned));
        expected["spec"]!["containers"]![0]!["volumeMounts"] = new JArray(Mount("/app"));
        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task Init_containers_are_left_alone_by_default()
    {
        var review = Review("init-containers-pod");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        var expected = OriginalPod(review);
        ((JArray)expected["spec"]!["volumes"]!).Add(Volume(Pinned));
        ((JArray)expected["spec"]!["containers"]![0]!["volumeMounts"]!).Add(Mount("/app"));
        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task Init_containers_named_in_the_annotation_get_the_mount_and_unnamed_containers_do_not()
    {
        var review = Reviews.Annotate(Review("init-containers-pod"), "assemble.oras.land/containers", " prepare ,migrate");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        Assert.Equal(["/spec/volumes/-", "/spec/initContainers/0/volumeMounts/-", "/spec/initContainers/1/volumeMounts", DigestAnnotationPath], Paths(answer));
        var expected = OriginalPod(review);
        ((JArray)expected["spec"]!["volumes"]!).Add(Volume(Pinned));
        ((JArray)expected["spec"]!["initContainers"]![0]!["volumeMounts"]!).Add(Mount("/app"));
        expected["spec"]!["initContainers"]![1]!["volumeMounts"] = new JArray(Mount("/app"));
        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
    }

    [Fact]
    public async Task Rebase_sets_the_chosen_containers_image_to_the_specs_pinned_base()
    {
        var review = Review("deployment-pod");
        Reviews.Annotate(review, "assemble.oras.land/rebase", "true");
        Reviews.Annotate(review, "assemble.oras.land/containers", "app");
        Reviews.Annotate(review, "assemble.oras.land/mount-path", "/opt/hello");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        var expected = OriginalPod(review);
        ((JArray)expected["spec"]!["volumes"]!).Add(Volume(Pinned));
        ((JArray)expected["spec"]!["containers"]![0]!["volumeMounts"]!).Add(Mount("/opt/hello"));
        expected["spec"]!["containers"]![0]!["image"] = PinnedBase;
        expected["metadata"]!["annotations"]!["assemble.oras.land/spec-digest"] = fixture.HelloManifest.Digest;
        AssertPod(expected, answer.ApplyTo(review));
        Assert.Contains(answer.Patch!, op => (string?)op!["op"] == "replace" && (string?)op["path"] == "/spec/containers/0/image");
    }

    [Fact]
    public async Task Admitting_a_mutated_pod_again_changes_nothing_even_after_the_tag_moved()
    {
        var spec = $"{fixture.Registry.Host}/apps/moving-spec:1.0";
        var repository = fixture.Client.GetRepository(spec);
        var first = await SpecArtifactPusher.PushAsync(repository, "1.0", SpecArtifactPusher.SpecJson("moving", null, "/app"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/app" });
        var review = Review("deployment-pod", spec);
        Reviews.Annotate(review, "assemble.oras.land/rebase", "false");
        var once = await fixture.Webhook.ReviewAsync(review);
        Assert.True(once.Allowed, once.ToString());
        var mutated = once.ApplyTo(review);

        // A new revision under the same tag: the pod keeps the revision it was first wired to.
        var second = await SpecArtifactPusher.PushAsync(repository, "1.0", SpecArtifactPusher.SpecJson("moving", null, "/srv"),
            new Dictionary<string, string> { [SpecArtifact.MountPathAnnotation] = "/srv" });
        Assert.NotEqual(first.Digest, second.Digest);
        review["request"]!["object"] = JsonNode.Parse(mutated.ToString());
        var again = await fixture.Webhook.ReviewAsync(review);

        Assert.True(again.Allowed, again.ToString());
        Assert.Null(again.Patch);
        Assert.Null(again.PatchType);
        Assert.Equal($"{spec}@{first.Digest}", (string?)mutated["spec"]!["volumes"]![1]!["csi"]!["volumeAttributes"]!["oras.artifact.reference"]);
    }

    [Fact]
    public async Task A_pod_that_already_has_the_volume_and_mount_is_admitted_unchanged()
    {
        var answer = await fixture.Webhook.ReviewAsync(Review("already-wired-pod"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("9e4b1c2d-3f5a-4b6c-8d7e-1a2b3c4d5e6f", answer.Uid);
        Assert.True(answer.Allowed, answer.ToString());
        Assert.Null(answer.Patch);
    }

    [Fact]
    public async Task A_container_already_mounting_something_at_the_mount_path_is_refused()
    {
        var answer = await fixture.Webhook.ReviewAsync(Review("conflicting-mount-pod"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("2b7d9f1e-6c4a-4e3b-9a8d-7f6e5d4c3b2a", answer.Uid);
        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Equal("container \"legacy\" already mounts volume \"config\" at /app/; choose another path with assemble.oras.land/mount-path, " +
            "or leave the container out with assemble.oras.land/containers", answer.Message);
        Assert.Null(answer.Patch);
    }

    [Fact]
    public async Task The_same_pod_with_another_mount_path_is_wired()
    {
        var review = Reviews.Annotate(Review("conflicting-mount-pod"), "assemble.oras.land/mount-path", "/opt/app");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed, answer.ToString());
        Assert.Equal("/opt/app", (string?)answer.ApplyTo(review)["spec"]!["containers"]![0]!["volumeMounts"]![1]!["mountPath"]);
    }

    [Fact]
    public async Task A_pod_using_the_volume_name_for_something_else_is_refused()
    {
        var review = Review("bare-pod");
        Reviews.Pod(review)["spec"]!["volumes"] = new JsonArray(new JsonObject { ["name"] = "oras-assemble", ["emptyDir"] = new JsonObject() });

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Contains("already has a volume named \"oras-assemble\" (a emptyDir volume)", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_whose_volume_holds_another_spec_is_refused()
    {
        var review = Reviews.Load("already-wired-pod", new Dictionary<string, string>
        {
            ["SPEC"] = fixture.HelloSpec,
            ["PINNED"] = $"{fixture.FilesSpec}@{fixture.HelloManifest.Digest}",
            ["DIGEST"] = fixture.HelloManifest.Digest,
        });

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Contains($"asks for {fixture.HelloSpec}", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_in_a_namespace_the_webhook_does_not_serve_is_admitted_unchanged_without_asking_the_registry()
    {
        fixture.Registry.ClearRequests();

        var answer = await fixture.Webhook.ReviewAsync(Review("other-namespace-pod"));

        Assert.Equal("71c0e5a2-8d3b-4f1e-a6c9-0b2d4e6f8a1c", answer.Uid);
        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
        Assert.DoesNotContain(fixture.Registry.Requests, r => r.Path.Contains("/apps/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pod_without_the_spec_annotation_is_admitted_unchanged()
    {
        var review = Review("bare-pod");
        Reviews.Pod(review)["metadata"]!["annotations"] = new JsonObject { ["team"] = "payments" };

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
    }

    [Theory]
    [InlineData("UPDATE", "Pod", "")]
    [InlineData("CREATE", "Pod", "ephemeralcontainers")]
    [InlineData("CREATE", "ConfigMap", "")]
    public async Task Anything_but_a_pod_creation_is_admitted_unchanged(string operation, string kind, string subResource)
    {
        var review = Review("bare-pod");
        review["request"]!["operation"] = operation;
        review["request"]!["kind"]!["kind"] = kind;
        review["request"]!["subResource"] = subResource;

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.True(answer.Allowed);
        Assert.Null(answer.Patch);
    }

    [Theory]
    [InlineData("assemble.oras.land/containers", "app,worker", "annotation assemble.oras.land/containers names \"worker\", which the pod does not have (containers: app, log-shipper)")]
    [InlineData("assemble.oras.land/containers", "app,,log-shipper", "annotation assemble.oras.land/containers is \"app,,log-shipper\", which has an empty name")]
    [InlineData("assemble.oras.land/rebase", "yes", "annotation assemble.oras.land/rebase must be \"true\" or \"false\", not \"yes\"")]
    [InlineData("assemble.oras.land/mount-path", "app", "annotation assemble.oras.land/mount-path: \"app\" must be an absolute path")]
    [InlineData("assemble.oras.land/spec", "Registry.Example/Apps:1.0", "annotation assemble.oras.land/spec: invalid reference")]
    [InlineData("assemble.oras.land/spec", " ", "annotation assemble.oras.land/spec is empty")]
    public async Task Unusable_annotations_are_refused_with_a_reason_naming_them(string annotation, string value, string reason)
    {
        var review = Reviews.Annotate(Review("deployment-pod"), annotation, value);

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Equal("Forbidden", answer.Reason);
        Assert.StartsWith(reason, answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_without_a_mount_path_needs_the_annotation()
    {
        var without = await fixture.Webhook.ReviewAsync(Review("bare-pod", fixture.FilesSpec));
        var with = await fixture.Webhook.ReviewAsync(Reviews.Annotate(Review("bare-pod", fixture.FilesSpec), "assemble.oras.land/mount-path", "/data"));

        Assert.False(without.Allowed);
        Assert.StartsWith($"no mount path: spec {fixture.FilesSpec}@sha256:", without.Message, StringComparison.Ordinal);
        Assert.EndsWith("has no mount.path and the pod has no assemble.oras.land/mount-path annotation", without.Message, StringComparison.Ordinal);
        Assert.True(with.Allowed, with.ToString());
    }

    [Fact]
    public async Task Rebase_onto_a_spec_without_a_base_is_refused()
    {
        var review = Review("bare-pod", fixture.FilesSpec);
        Reviews.Annotate(review, "assemble.oras.land/mount-path", "/data");
        Reviews.Annotate(review, "assemble.oras.land/rebase", "true");

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Contains("assemble.oras.land/rebase is \"true\" but spec", answer.Message, StringComparison.Ordinal);
        Assert.EndsWith("has no base image to rebase onto", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_artifact_that_is_not_a_spec_is_refused_whatever_the_failure_policy()
    {
        var answer = await fixture.Webhook.ReviewAsync(Review("bare-pod", fixture.PlainArtifact));

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.Contains("cannot be used: this is not an assembly spec: its artifact type is application/vnd.unknown.artifact.v1, not application/vnd.oras-assemble.spec.v1",
            answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_that_does_not_exist_is_refused()
    {
        var missing = $"{fixture.Registry.Host}/apps/hello-spec:9.9";

        var answer = await fixture.Webhook.ReviewAsync(Review("bare-pod", missing));

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.StartsWith($"cannot resolve spec {missing}: not found", answer.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not JSON", "the body is not an AdmissionReview")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}""", "expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got apiVersion \"admission.k8s.io/v1beta1\"")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", "the review has no request.uid")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "the review has no request.uid")]
    [InlineData("null", "expected apiVersion admission.k8s.io/v1")]
    public async Task A_body_that_is_not_a_review_gets_400_with_a_review_saying_why(string body, string reason)
    {
        var answer = await fixture.Webhook.PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.StartsWith(reason, answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_review_whose_pod_is_malformed_is_refused_with_its_uid()
    {
        var review = Review("deployment-pod");
        Reviews.Pod(review)["spec"]!["containers"] = "app";

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("0df28fbd-5f5f-11e8-bc74-36e6bb280816", answer.Uid);
        Assert.False(answer.Allowed);
        Assert.Equal(400, answer.Code);
        Assert.StartsWith("request.object is not a valid Pod:", answer.Message, StringComparison.Ordinal);
        Assert.Contains("$.spec.containers", answer.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> HugeAnnotations => new()
    {
        { "assemble.oras.land/spec", "registry.example/" + new string('a', 1024 * 1024 - 17) },
        { "assemble.oras.land/spec", "registry.example/apps/hello:" + new string('1', 1024 * 1024 - 28) },
        { "assemble.oras.land/rebase", new string('y', 1024 * 1024) },
        { "assemble.oras.land/containers", new string('a', 1024 * 1024 - 2) + ",," },
    };

    [Theory]
    [MemberData(nameof(HugeAnnotations))]
    public async Task A_huge_annotation_is_refused_in_a_small_review_that_says_it_was_cut(string annotation, string value)
    {
        var review = Reviews.Annotate(Review("deployment-pod"), annotation, value);

        var answer = await fixture.Webhook.ReviewAsync(review);

        Assert.False(answer.Allowed);
        Assert.Equal(403, answer.Code);
        Assert.InRange(answer.Body.ToJsonString().Length, 1, 2048);
        Assert.Contains($"…\" ({value.Length} characters)", answer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_post_is_served_at_mutate()
    {
        using var response = await fixture.Webhook.Client.GetAsync(new Uri(fixture.Webhook.BaseUri, "/mutate"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private JsonObject Review(string name, string? spec = null) => fixture.Review(name, spec);

    private static JObject Volume(string reference) => new()
    {
        ["name"] = "oras-assemble",
        ["csi"] = new JObject
        {
            ["driver"] = "csi.oras.land",
            ["readOnly"] = true,
            ["volumeAttributes"] = new JObject { ["oras.artifact.reference"] = reference },
        },
    };

    private static JObject Mount(string path) => new() { ["name"] = "oras-assemble", ["mountPath"] = path, ["readOnly"] = true };
}
