using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry;

namespace OrasAssemble.Execution;

/// <summary>The exceptions that mean a reference could not be resolved or read, as opposed to a bug: these are reported against the spec field.</summary>
internal static class ResolutionFailure
{
    public static bool Is(Exception e) =>
        e is NotFoundException or RegistryException or PlatformNotFoundException or InvalidDataException
            or ContentVerificationException or SizeLimitExceededException or HttpRequestException or TimeoutException or InvalidReferenceException;
}
