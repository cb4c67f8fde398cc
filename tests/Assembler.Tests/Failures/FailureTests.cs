using System.Net.Sockets;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Tests.Failures;

/// <summary>The one classification the CLI, the node plugin and the webhook all map from.</summary>
public sealed class FailureTests
{
    public static TheoryData<Exception, FailureKind> Cases => new()
    {
        { new NotASpecArtifactException("r", "p"), FailureKind.InvalidInput },
        { new InvalidReferenceException("x y", "has a space"), FailureKind.InvalidInput },
        { new InvalidDataException("not JSON"), FailureKind.Unusable },
        { new AssemblyException("steps[0].copy", "path /a does not exist in source app"), FailureKind.Unusable },
        { new RegistryNotFoundException("not found", []), FailureKind.NotFound },
        { new RegistryAuthenticationException("unauthorized", []), FailureKind.Unauthenticated },
        { new RegistryAccessDeniedException("denied", []), FailureKind.Denied },
        { new RegistryRateLimitException("too many requests", []), FailureKind.Unavailable },
        { new HttpRequestException("connection refused"), FailureKind.Unavailable },
        { new HttpIOException(HttpRequestError.ResponseEnded), FailureKind.Unavailable },
        { new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), FailureKind.Unavailable },
        { new OperationCanceledException("timed out", new TimeoutException()), FailureKind.Unavailable },
        { new ContentVerificationException("digest mismatch"), FailureKind.Integrity },
        { new SizeLimitExceededException("too big"), FailureKind.Limit },
        { new OperationCanceledException(), FailureKind.Cancelled },
        { new IOException("No space left on device"), FailureKind.Internal },
        { new InvalidOperationException("a defect"), FailureKind.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_error_has_one_kind(Exception error, FailureKind expected) => Assert.Equal(expected, Failure.KindOf(error));

    [Fact]
    public void A_wrapped_cause_gives_its_kind_and_a_single_aggregate_is_seen_through()
    {
        var denied = new AssemblyException("sources.app", "denied", new RegistryAccessDeniedException("denied", []));

        Assert.Equal(FailureKind.Denied, Failure.KindOf(denied));
        Assert.Equal(FailureKind.Denied, Failure.KindOf(new AggregateException(denied)));
        Assert.Equal(FailureKind.Internal, Failure.KindOf(new AggregateException(denied, new IOException("disk"))));
    }

    [Fact]
    public void Only_failures_of_the_input_are_reported_against_the_spec_field()
    {
        Assert.True(Failure.IsAboutInput(new RegistryNotFoundException("not found", [])));
        Assert.False(Failure.IsAboutInput(new OperationCanceledException()));
        Assert.False(Failure.IsAboutInput(new InvalidOperationException("a defect")));
        Assert.False(Failure.IsAboutInput(new AssemblyException("sources.app", "already named")));
    }
}
