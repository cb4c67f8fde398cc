namespace OrasAssemble.Settings;

/// <summary>How to reach one registry host.</summary>
/// <param name="PlainHttp">Talk HTTP instead of HTTPS.</param>
/// <param name="Insecure">Use HTTPS but accept any server certificate.</param>
/// <param name="Mirrors">Hosts (<c>host[:port]</c>) to fetch blobs and manifests by digest from, in order, before the registry itself.</param>
public sealed record RegistrySettings(bool PlainHttp = false, bool Insecure = false, IReadOnlyList<string>? Mirrors = null)
{
    /// <summary>How long a mirror may take to send response headers before it is passed over, unless its entry says otherwise.</summary>
    public static readonly TimeSpan DefaultMirrorTimeout = TimeSpan.FromSeconds(30);

    public static RegistrySettings Default { get; } = new();

    /// <summary>
    /// When this host serves as another registry's mirror: the time it has to send response headers (one attempt,
    /// no retry) before the request goes to the next mirror or the registry itself.
    /// </summary>
    public TimeSpan MirrorTimeout { get; init; } = DefaultMirrorTimeout;

    public IReadOnlyList<string> Mirrors { get; init; } = Mirrors ?? [];

    // Value equality for the mirror list too, not just for the reference to it.
    public bool Equals(RegistrySettings? other) =>
        other is not null && PlainHttp == other.PlainHttp && Insecure == other.Insecure && MirrorTimeout == other.MirrorTimeout && Mirrors.SequenceEqual(other.Mirrors);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(PlainHttp);
        hash.Add(Insecure);
        hash.Add(MirrorTimeout);
        foreach (var mirror in Mirrors)
        {
            hash.Add(mirror);
        }

        return hash.ToHashCode();
    }
}
