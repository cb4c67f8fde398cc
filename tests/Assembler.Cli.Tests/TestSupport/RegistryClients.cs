using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;

namespace OrasAssemble.Cli.Tests.TestSupport;

/// <summary>Library clients for the test registries, to push what the CLI must handle and to read back what it pushed.</summary>
public static class RegistryClients
{
    public static RegistryClient PlainHttp() => new(new RegistryClientOptions
    {
        Hosts = HostSettings.Empty.WithGlobalOverrides(plainHttp: true, insecure: false),
    });
}
