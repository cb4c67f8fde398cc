using System.Net;

namespace OrasAssemble.Registry;

/// <summary>The registry did not accept the credentials (or their absence): HTTP 401, <c>UNAUTHORIZED</c>.</summary>
internal sealed class RegistryAuthenticationException(string message, IReadOnlyList<RegistryError> errors, Exception? inner = null)
    : RegistryException(message, HttpStatusCode.Unauthorized, errors, inner);
