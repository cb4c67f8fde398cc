using System.Text;
using Grpc.Core;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Spec.Validation;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Services;

/// <summary>The one place errors become CSI statuses: each failure gets the code the CSI spec gives its case.</summary>
internal static class ErrorTranslation
{
    /// <summary>
    /// The most a status message says. Every value a message quotes is bounded where it is quoted; this bounds a message
    /// that joins many of them (all the errors of a spec), well inside what any transport carries in a trailer.
    /// </summary>
    public const int MaxMessageCharacters = 4096;

    public static RpcException ToRpc(Exception error) => error switch
    {
        RpcException rpc => rpc,
        VolumeException volume => Rpc(Code(volume.Kind), volume.Message, volume),
        AssemblyException assembly when assembly.InnerException is { } inner && Code(inner) is { } code => Rpc(code, assembly.Message, assembly),

        // A source or step of the spec cannot be carried out: the volume asks for something that does not work.
        AssemblyException assembly => Rpc(StatusCode.InvalidArgument, assembly.Message, assembly),
        OperationCanceledException { InnerException: TimeoutException } => Rpc(StatusCode.Unavailable, $"the registry did not answer in time: {error.Message}", error),
        OperationCanceledException => Rpc(StatusCode.Cancelled, "the call was cancelled", error),
        _ when Code(error) is { } code => Rpc(code, error.Message, error),
        _ => Rpc(StatusCode.Internal, error.Message, error),
    };

    /// <summary><c>INVALID_ARGUMENT</c> for <see cref="StatusCode.InvalidArgument"/>: the names the gRPC docs use, for labels and logs.</summary>
    public static string Name(StatusCode code)
    {
        var text = code.ToString();
        var name = new StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (i > 0 && char.IsUpper(text[i]) && char.IsLower(text[i - 1]))
            {
                name.Append('_');
            }

            name.Append(char.ToUpperInvariant(text[i]));
        }

        return name.ToString();
    }

    private static RpcException Rpc(StatusCode code, string message, Exception error) =>
        new(new Status(code, QuotedValue.Bounded(message, MaxMessageCharacters), error));

    private static StatusCode Code(VolumeErrorKind kind) => kind switch
    {
        VolumeErrorKind.InvalidRequest => StatusCode.InvalidArgument,
        VolumeErrorKind.Conflict => StatusCode.AlreadyExists,
        VolumeErrorKind.Refused => StatusCode.PermissionDenied,
        VolumeErrorKind.Pending => StatusCode.Aborted,
        VolumeErrorKind.NotPublished => StatusCode.NotFound,
        _ => StatusCode.Internal,
    };

    private static StatusCode? Code(Exception error) => error switch
    {
        RegistryAuthenticationException => StatusCode.Unauthenticated,
        RegistryAccessDeniedException => StatusCode.PermissionDenied,
        RegistryRateLimitException => StatusCode.Unavailable,
        NotFoundException => StatusCode.NotFound,
        PlatformNotFoundException => StatusCode.NotFound,
        RegistryException => StatusCode.Unavailable,
        InvalidReferenceException or InvalidSpecException or CredentialConfigException or InvalidDataException => StatusCode.InvalidArgument,
        LayerException => StatusCode.InvalidArgument,
        SizeLimitExceededException => StatusCode.ResourceExhausted,
        ContentVerificationException => StatusCode.DataLoss,
        HttpRequestException or TimeoutException => StatusCode.Unavailable,
        _ => null,
    };
}
