using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Registry.Remote;

/// <summary>Each test gets its own in-process faulty registry and a client that retries quickly.</summary>
public abstract class FaultyRegistryTests : IAsyncLifetime
{
    private protected FaultyRegistry Server { get; private set; } = null!;

    private protected RegistryClient Client { get; private set; } = null!;

    private protected Repository Repo => Client.GetRepository($"{Server.Host}/test/app");

    public async Task InitializeAsync()
    {
        Server = await FaultyRegistry.StartAsync();
        Client = new RegistryClient(new RegistryClientOptions
        {
            Hosts = TestHosts.PlainHttp,
            Retry = new RetryPolicy { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(5) },
        });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    internal static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    internal static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
