using System.Net;

namespace OrasAssemble.Registry;

/// <summary>The registry kept answering HTTP 429 <c>TOOMANYREQUESTS</c> after every retry.</summary>
internal sealed class RegistryRateLimitException(string message, IReadOnlyList<RegistryError> errors)
    : RegistryException(message, HttpStatusCode.TooManyRequests, errors);
