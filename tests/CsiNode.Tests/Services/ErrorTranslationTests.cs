using Grpc.Core;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Services;
using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>The statuses kubelet sees for failures that the node plugin once classified apart from the library.</summary>
public sealed class ErrorTranslationTests
{
    [Fact]
    public void A_reference_that_names_no_spec_artifact_is_invalid_argument_not_internal()
    {
        var status = ErrorTranslation.ToRpc(new NotASpecArtifactException("registry.example/apps/app:1", "this is not an assembly spec: it has no artifact type"));

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Equal("registry.example/apps/app:1: this is not an assembly spec: it has no artifact type", status.Status.Detail);
    }

    [Fact]
    public void A_response_body_that_ends_early_is_unavailable_not_internal()
    {
        var status = ErrorTranslation.ToRpc(new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely."));

        Assert.Equal(StatusCode.Unavailable, status.StatusCode);
    }

    [Fact]
    public void A_step_that_failed_on_the_nodes_own_disk_is_internal_not_invalid_argument()
    {
        var status = ErrorTranslation.ToRpc(new AssemblyException("steps[0].copy", "No space left on device", new IOException("No space left on device")));

        Assert.Equal(StatusCode.Internal, status.StatusCode);
        Assert.Equal("steps[0].copy: No space left on device", status.Status.Detail);
    }

    [Fact]
    public void A_source_the_registry_refuses_keeps_the_refusal_and_names_the_source()
    {
        var denied = new RegistryAccessDeniedException("GET manifest apps/app:1: denied", []);

        var status = ErrorTranslation.ToRpc(new AssemblyException("sources.app", denied.Message, denied));

        Assert.Equal(StatusCode.PermissionDenied, status.StatusCode);
        Assert.Equal("sources.app: GET manifest apps/app:1: denied", status.Status.Detail);
    }

    [Theory]
    [InlineData(FailureKind.Conflict, StatusCode.AlreadyExists)]
    [InlineData(FailureKind.Pending, StatusCode.Aborted)]
    [InlineData(FailureKind.Denied, StatusCode.PermissionDenied)]
    [InlineData(FailureKind.NotFound, StatusCode.NotFound)]
    [InlineData(FailureKind.InvalidInput, StatusCode.InvalidArgument)]
    [InlineData(FailureKind.Internal, StatusCode.Internal)]
    public void The_nodes_own_failures_map_through_the_same_switch(FailureKind kind, StatusCode expected)
    {
        var status = ErrorTranslation.ToRpc(new VolumeException(kind, "volume v"));

        Assert.Equal(expected, status.StatusCode);
        Assert.Equal("volume v", status.Status.Detail);
    }
}
