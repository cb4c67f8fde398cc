namespace OrasAssemble.Registry.Auth;

/// <summary>How a <see cref="DockerConfigCredentialStore"/> runs credential helpers.</summary>
public sealed record DockerConfigCredentialStoreOptions
{
    public static TimeSpan DefaultHelperTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Directories searched, in order, for <c>docker-credential-&lt;name&gt;</c> programs.
    /// Null means the directories of this process's <c>PATH</c>, read when the store is created.
    /// </summary>
    public IReadOnlyList<string>? HelperSearchPath { get; init; }

    /// <summary>How long one helper invocation may run before it is killed.</summary>
    public TimeSpan HelperTimeout { get; init; } = DefaultHelperTimeout;
}
