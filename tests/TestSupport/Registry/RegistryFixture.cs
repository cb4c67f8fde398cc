namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// Shares one <see cref="RegistryServer"/> between the tests of a class (<c>IClassFixture</c>) or a collection
/// (<c>ICollectionFixture</c>). Each fixture instance runs its own registry, so classes using it still run in parallel.
/// </summary>
public abstract class RegistryFixture : IAsyncLifetime
{
    private readonly RegistryAuth mode;
    private RegistryServer? server;

    protected RegistryFixture(RegistryAuth mode) => this.mode = mode;

    public RegistryServer Server => server ?? throw new InvalidOperationException("The registry fixture has not been initialised.");

    public async Task InitializeAsync() => server = await RegistryServer.StartAsync(mode).ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
