namespace OrasAssemble.Tests.Fixtures;

/// <summary>How a <see cref="RegistryServer"/> authenticates clients.</summary>
public enum RegistryAuth
{
    /// <summary>No authentication: everyone may pull and push.</summary>
    Anonymous,

    /// <summary>htpasswd (bcrypt) Basic authentication; every known user may pull and push.</summary>
    Basic,

    /// <summary>Docker token authentication against an in-process <see cref="TokenIssuer"/>.</summary>
    Token,
}
