using System.Net;
using System.Net.Sockets;
using OrasAssemble.Content;
using OrasAssemble.Execution;
using OrasAssemble.Layers;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;
using OrasAssemble.Spec.Validation;
using OrasAssemble.SpecArtifacts;

namespace OrasAssemble.Failures;

/// <summary>The one classification of errors into <see cref="FailureKind"/>s; the hosts map kinds, never exception types.</summary>
public static class Failure
{
    public static FailureKind KindOf(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            IClassifiedFailure classified => classified.Kind,
            AggregateException { InnerExceptions.Count: 1 } aggregate => KindOf(aggregate.InnerExceptions[0]),

            // A source or step that failed because of something else fails as that did; on its own it is the step's.
            AssemblyException { InnerException: { } cause } => KindOf(cause),
            AssemblyException or LayerException or InvalidDataException => FailureKind.Unusable,
            InvalidReferenceException or InvalidSpecException or NotASpecArtifactException or BasePlatformMismatchException => FailureKind.InvalidInput,
            HostSettingsException or CredentialConfigException => FailureKind.Configuration,
            NotFoundException or PlatformNotFoundException => FailureKind.NotFound,
            RegistryAuthenticationException => FailureKind.Unauthenticated,
            RegistryAccessDeniedException => FailureKind.Denied,
            ContentVerificationException => FailureKind.Integrity,
            SizeLimitExceededException => FailureKind.Limit,

            // The registry answered with an error, too many requests, or a body that never arrived whole; or it could
            // not be reached at all. A connection that drops mid-body surfaces as an IOException of the response stream.
            RegistryException or CredentialHelperException or HttpRequestException or TimeoutException => FailureKind.Unavailable,
            HttpIOException or IdleTimeoutException or IOException { InnerException: SocketException } => FailureKind.Unavailable,
            OperationCanceledException { InnerException: TimeoutException } => FailureKind.Unavailable,
            OperationCanceledException => FailureKind.Cancelled,
            _ => FailureKind.Internal,
        };
    }

    /// <summary>
    /// Whether a registry refused a request for a reason that asking again will not change: authentication, access, or
    /// any other 4xx answer but 408 and 429 (an invalid name or manifest, an upload too large). Connection failures,
    /// timeouts, 408, 429 and 5xx may pass, and are not refusals.
    /// </summary>
    public static bool IsRefusal(Exception error) => error switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsRefusal(aggregate.InnerExceptions[0]),
        RegistryException { StatusCode: var status } =>
            (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests),
        _ => KindOf(error) is FailureKind.Unauthenticated or FailureKind.Denied or FailureKind.InvalidInput or FailureKind.Configuration,
    };

    /// <summary>
    /// Whether a failure while reading what a spec field names is that field's to report (wrapped in an
    /// <see cref="AssemblyException"/> naming it): any failure of the input, the registry or the content, but not a
    /// cancellation, a defect, or one already naming its field.
    /// </summary>
    internal static bool IsAboutInput(Exception error) =>
        error is not AssemblyException && KindOf(error) is not (FailureKind.Cancelled or FailureKind.Internal);
}
