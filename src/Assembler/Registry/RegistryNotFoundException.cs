using System.Net;
using OrasAssemble.Content;

namespace OrasAssemble.Registry;

/// <summary>
/// HTTP 404 from a registry (<c>MANIFEST_UNKNOWN</c>, <c>BLOB_UNKNOWN</c>, <c>NAME_UNKNOWN</c>). A
/// <see cref="NotFoundException"/>, so callers treat every store's "not there" alike.
/// </summary>
internal sealed class RegistryNotFoundException(string message, IReadOnlyList<RegistryError> errors)
    : NotFoundException(message)
{
    public HttpStatusCode StatusCode => HttpStatusCode.NotFound;

    public IReadOnlyList<RegistryError> Errors { get; } = errors;
}
