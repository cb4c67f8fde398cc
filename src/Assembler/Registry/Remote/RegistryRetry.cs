using OrasAssemble.Settings;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// A registry transfer that failed for a reason that may pass and is about to be tried again: what it was, where,
/// why, and which attempt comes next. Handed to <see cref="RegistryClientOptions.Retrying"/> before the pause.
/// </summary>
/// <param name="Registry">The host the request went to (a mirror, the registry, or its token service).</param>
/// <param name="Target">What was asked for: <c>blob sha256:…</c>, <c>manifest repo:tag</c>, or <c>GET /path</c>.</param>
/// <param name="Attempt">The attempt about to be made, counting the first request as attempt 1.</param>
/// <param name="MaxAttempts">How many attempts there will be at most.</param>
/// <param name="Cause">Why the last attempt failed, e.g. <c>no response headers within 100s</c>.</param>
/// <param name="Delay">The pause before the next attempt.</param>
public sealed record RegistryRetry(string Registry, string Target, int Attempt, int MaxAttempts, string Cause, TimeSpan Delay)
{
    /// <summary>
    /// Whether the failed attempt ran out a timeout (headers not sent in time, a body that stalled): a retry that
    /// followed a long wait, as opposed to a quick one after a refused connection or a 503.
    /// </summary>
    public bool TimedOut { get; init; }

    public override string ToString() =>
        $"{Target} from {Registry}: attempt {Attempt} of {MaxAttempts} in {SettingsDuration.Format(RoundedDelay)} after {Cause}";

    private TimeSpan RoundedDelay => TimeSpan.FromMilliseconds(Math.Round(Delay.TotalMilliseconds));

    /// <summary>What a request asks for, in the words a person reading a log or a volume event uses.</summary>
    internal static string Describe(HttpRequestMessage request)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        var blobs = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
        if (blobs > 0 && path.StartsWith("/v2/", StringComparison.Ordinal) && !path.Contains("/blobs/uploads", StringComparison.Ordinal))
        {
            return $"blob {path[(blobs + "/blobs/".Length)..]}";
        }

        var manifests = path.LastIndexOf("/manifests/", StringComparison.Ordinal);
        if (manifests > 0 && path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            var reference = path[(manifests + "/manifests/".Length)..];
            var repository = path["/v2/".Length..manifests];
            return $"manifest {repository}{(Oci.Digest.IsValid(reference) ? "@" : ":")}{reference}";
        }

        return $"{request.Method} {path}";
    }
}
