using OrasAssemble.Settings;

namespace OrasAssemble.Tests.TestSupport;

internal static class TestHosts
{
    /// <summary>The test registries listen on loopback without TLS.</summary>
    public static HostSettings PlainHttp { get; } = HostSettings.Empty.WithGlobalOverrides(plainHttp: true, insecure: false);
}
