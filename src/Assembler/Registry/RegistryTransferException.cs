using System.Net;

namespace OrasAssemble.Registry;

/// <summary>
/// A registry answered but its body did not arrive whole, and retrying did not help: the connection dropped, the
/// body ended early, or no byte came within the idle timeout. The message names the operation and the reference.
/// </summary>
internal sealed class RegistryTransferException(string message, HttpStatusCode statusCode, Exception? inner = null)
    : RegistryException(message, statusCode, [], inner);
