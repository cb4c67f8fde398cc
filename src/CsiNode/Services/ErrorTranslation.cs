using System.Text;
using Grpc.Core;
using OrasAssemble.Failures;
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
        _ => Rpc(Code(Failure.KindOf(error)), Describe(error), error),
    };

    /// <summary>The status each kind of failure gets, as the CSI spec gives its cases.</summary>
    public static StatusCode Code(FailureKind kind) => kind switch
    {
        // The volume asks for something that does not work: a bad reference, spec or secret, content that cannot be used.
        FailureKind.InvalidInput or FailureKind.Unusable or FailureKind.Configuration => StatusCode.InvalidArgument,
        FailureKind.NotFound => StatusCode.NotFound,
        FailureKind.Unauthenticated => StatusCode.Unauthenticated,
        FailureKind.Denied => StatusCode.PermissionDenied,
        FailureKind.Unavailable => StatusCode.Unavailable,
        FailureKind.Integrity => StatusCode.DataLoss,
        FailureKind.Limit => StatusCode.ResourceExhausted,
        FailureKind.Conflict => StatusCode.AlreadyExists,
        FailureKind.Pending => StatusCode.Aborted,
        FailureKind.Cancelled => StatusCode.Cancelled,
        _ => StatusCode.Internal,
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

    private static string Describe(Exception error) => error switch
    {
        OperationCanceledException { InnerException: TimeoutException } => $"the registry did not answer in time: {error.Message}",
        OperationCanceledException => "the call was cancelled",
        _ => error.Message,
    };
}
