using System.Net;

namespace OrasAssemble.Registry;

/// <summary>A registry answered a request with an error status; its <c>errors[]</c> are kept.</summary>
internal class RegistryException(string message, HttpStatusCode statusCode, IReadOnlyList<RegistryError> errors, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public IReadOnlyList<RegistryError> Errors { get; } = errors;

    public bool HasCode(string code) => Errors.Any(e => string.Equals(e.Code, code, StringComparison.Ordinal));
}
