using System.Security.Authentication;
using OrasAssemble.Failures;
using OrasAssemble.Registry;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Settings;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Cli;

/// <summary>
/// The one place where an exception becomes an exit code and the line the user reads. Commands throw the
/// library's typed exceptions (or <see cref="UsageException"/>) and never choose exit codes themselves.
/// </summary>
internal static class FailureReporter
{
    public static int ExitCodeFor(Exception error) => Failure.KindOf(error) switch
    {
        FailureKind.InvalidInput or FailureKind.Configuration => ExitCodes.InvalidInput,
        FailureKind.Cancelled => ExitCodes.Interrupted,
        _ => ExitCodes.Failure,
    };

    /// <summary>
    /// Writes <c>Error: …</c> (and, when verbose, the full exception) and returns the exit code. An invalid spec is
    /// written as its errors alone, one per line in the compiler form <c>file:line:col: path: message</c>, so that
    /// editors can jump to each.
    /// </summary>
    public static int Report(Exception error, TextWriter output, bool verbose)
    {
        var cause = Unwrap(error);
        if (cause is InvalidSpecException invalid)
        {
            foreach (var line in invalid.Errors.Select(e => invalid.File is null ? e.ToString() : e.Format(invalid.File)))
            {
                output.WriteLine(line);
            }
        }
        else
        {
            output.WriteLine("Error: " + Describe(cause));
        }

        if (verbose)
        {
            output.WriteLine(cause.ToString());
        }

        return ExitCodeFor(cause);
    }

    private static string Describe(Exception error) => error switch
    {
        OperationCanceledException => "interrupted",
        RegistryTlsException tls => $"{tls.Message}; {PlainHttpHint}",
        HttpRequestException { InnerException: AuthenticationException } http =>
            $"{http.Message} (TLS failed; {PlainHttpHint})",

        // A source the executor could not read carries the handshake failure inside its own message.
        _ when TlsFailureWithin(error) => $"{error.Message}; {PlainHttpHint}",
        _ => error.Message,
    };

    private const string PlainHttpHint = "if it serves plain HTTP, use --plain-http (or plainHttp: true for the host in --config)";

    private static bool TlsFailureWithin(Exception error)
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            if (e is RegistryTlsException)
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Unwrap(Exception error) =>
        error is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerExceptions[0]) : error;
}
