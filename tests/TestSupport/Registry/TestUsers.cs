namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// The accounts every authenticating <see cref="RegistryServer"/> knows. With <see cref="RegistryAuth.Basic"/>
/// both may push (htpasswd has no notion of rights); with <see cref="RegistryAuth.Token"/> the reader only pulls.
/// </summary>
public static class TestUsers
{
    public const string Username = "oras-tester";
    public const string Password = "push-and-pull-secret";

    public const string ReadOnlyUsername = "oras-reader";
    public const string ReadOnlyPassword = "pull-only-secret";
}
