namespace OrasAssemble.Registry.Auth;

/// <summary>
/// What a client presents to a registry: a user name and password, a refresh token (docker's "identity token"),
/// or a ready access token. All empty means anonymous.
/// </summary>
public sealed record Credential(string? Username = null, string? Password = null, string? RefreshToken = null, string? AccessToken = null)
{
    public static Credential Empty { get; } = new();

    public bool IsEmpty => string.IsNullOrEmpty(Username) && string.IsNullOrEmpty(Password)
        && string.IsNullOrEmpty(RefreshToken) && string.IsNullOrEmpty(AccessToken);

    // Never print secrets, not even by accident through a log of the record.
    public override string ToString() => IsEmpty ? "anonymous" : $"credential for {Username ?? "<token>"}";
}
