namespace OrasAssemble.Settings;

/// <summary>How to reach one registry host.</summary>
/// <param name="PlainHttp">Talk HTTP instead of HTTPS.</param>
/// <param name="Insecure">Use HTTPS but accept any server certificate.</param>
/// <param name="Mirrors">Hosts (<c>host[:port]</c>) to try, in order, before the registry itself.</param>
public sealed record RegistrySettings(bool PlainHttp = false, bool Insecure = false, IReadOnlyList<string>? Mirrors = null)
{
    public static RegistrySettings Default { get; } = new();

    public IReadOnlyList<string> Mirrors { get; init; } = Mirrors ?? [];

    // Value equality for the mirror list too, not just for the reference to it.
    public bool Equals(RegistrySettings? other) =>
        other is not null && PlainHttp == other.PlainHttp && Insecure == other.Insecure && Mirrors.SequenceEqual(other.Mirrors);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(PlainHttp);
        hash.Add(Insecure);
        foreach (var mirror in Mirrors)
        {
            hash.Add(mirror);
        }

        return hash.ToHashCode();
    }
}
