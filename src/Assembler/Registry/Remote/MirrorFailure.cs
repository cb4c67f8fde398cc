namespace OrasAssemble.Registry.Remote;

/// <summary>
/// A mirror that was passed over for one request: which mirror, for which registry and content, and why. Handed to
/// <see cref="RegistryClientOptions.MirrorFailed"/>; the request then goes to the next mirror or the registry itself.
/// </summary>
/// <param name="Mirror">The mirror host (<c>host[:port]</c>).</param>
/// <param name="Registry">The registry it stands in for.</param>
/// <param name="Target">What was asked for: <c>blob sha256:…</c> or <c>manifest repo@sha256:…</c>.</param>
/// <param name="Reason">The kind of failure, one of a fixed set (the metric's label).</param>
/// <param name="Cause">What happened, e.g. <c>503 Service Unavailable</c> or <c>digest mismatch: …</c>.</param>
public sealed record MirrorFailure(string Mirror, string Registry, string Target, MirrorFailureReason Reason, string Cause)
{
    public override string ToString() => $"mirror {Mirror} for {Registry} passed over for {Target}: {Cause}";
}
