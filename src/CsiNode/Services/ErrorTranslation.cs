using System.Text;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Grpc;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.Execution;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Spec;
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
        VolumeException volume => Status(Code(volume.Kind), volume.Message, volume),
        AssemblyException assembly when assembly.InnerException is { } inner && Code(inner) is { } code => Status(code, assembly.Message, assembly),

        // A source or step of the spec cannot be carried out: the volume asks for something that does not work.
        AssemblyException assembly => Status(GrpcStatusCode.InvalidArgument, assembly.Message, assembly),
        OperationCanceledException { InnerException: TimeoutException } => Status(GrpcStatusCode.Unavailable, $"the registry did not answer in time: {error.Message}", error),
        OperationCanceledException => Status(GrpcStatusCode.Cancelled, "the call was cancelled", error),
        _ when Code(error) is { } code => Status(code, error.Message, error),
        _ => Status(GrpcStatusCode.Internal, error.Message, error),
    };

    /// <summary><c>INVALID_ARGUMENT</c> for <see cref="GrpcStatusCode.InvalidArgument"/>: the names the gRPC docs use, for labels and logs.</summary>
    public static string Name(GrpcStatusCode code)
    {
        var text = code.ToString();
        var name = new StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (i > 0 && char.IsUpper(text[i]))
            {
                name.Append('_');
            }

            name.Append(char.ToUpperInvariant(text[i]));
        }

        return name.ToString();
    }

    private static RpcException Status(GrpcStatusCode code, string message, Exception error) =>
        new(code, QuotedValue.Bounded(message, MaxMessageCharacters), error);

    private static GrpcStatusCode Code(VolumeErrorKind kind) => kind switch
    {
        VolumeErrorKind.InvalidRequest => GrpcStatusCode.InvalidArgument,
        VolumeErrorKind.Conflict => GrpcStatusCode.AlreadyExists,
        VolumeErrorKind.Refused => GrpcStatusCode.PermissionDenied,
        VolumeErrorKind.Pending => GrpcStatusCode.Aborted,
        VolumeErrorKind.NotPublished => GrpcStatusCode.NotFound,
        _ => GrpcStatusCode.Internal,
    };

    private static GrpcStatusCode? Code(Exception error) => error switch
    {
        RegistryAuthenticationException => GrpcStatusCode.Unauthenticated,
        RegistryAccessDeniedException => GrpcStatusCode.PermissionDenied,
        RegistryRateLimitException => GrpcStatusCode.Unavailable,
        NotFoundException => GrpcStatusCode.NotFound,
        PlatformNotFoundException => GrpcStatusCode.NotFound,
        RegistryException => GrpcStatusCode.Unavailable,
        InvalidReferenceException or InvalidSpecException or CredentialConfigException or InvalidDataException => GrpcStatusCode.InvalidArgument,
        LayerException => GrpcStatusCode.InvalidArgument,
        SizeLimitExceededException => GrpcStatusCode.ResourceExhausted,
        ContentVerificationException => GrpcStatusCode.DataLoss,
        HttpRequestException or TimeoutException => GrpcStatusCode.Unavailable,
        _ => null,
    };
}
