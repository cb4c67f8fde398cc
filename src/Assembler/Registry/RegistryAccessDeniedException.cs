using System.Net;

namespace OrasAssemble.Registry;

/// <summary>The registry knows who is asking and refuses: HTTP 403, <c>DENIED</c>.</summary>
internal sealed class RegistryAccessDeniedException(string message, IReadOnlyList<RegistryError> errors)
    : RegistryException(message, HttpStatusCode.Forbidden, errors);
