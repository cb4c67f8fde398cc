using OrasAssemble.Layers;
using OrasAssemble.Settings;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Settings;

/// <summary>The settings file is read once; each section's reader takes its section from it.</summary>
public sealed class SettingsFileTests : IDisposable
{
    private const string Config = """
        registries:
          "127.0.0.1:*": { plainHttp: true }
        transfer: { idleTimeout: 5s }
        limits: { maxEntries: 1000, concurrency: 2 }
        cache: { budget: 20Gi }
        """;

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task One_load_hands_every_reader_its_section()
    {
        var path = temp.Combine("config.yaml");
        await File.WriteAllTextAsync(path, Config);

        var file = await SettingsFile.LoadAsync(path);

        Assert.True(HostSettings.Read(file).For("127.0.0.1:5000").PlainHttp);
        Assert.False(HostSettings.Read(file).For("ghcr.io").PlainHttp);
        Assert.Equal(TimeSpan.FromSeconds(5), TransferSettings.Read(file).IdleTimeout);
        Assert.Equal(TransferSettings.Default.ResponseTimeout, TransferSettings.Read(file).ResponseTimeout);
        Assert.Equal(ExtractionLimits.Default with { MaxEntries = 1000 }, LimitSettingsParser.Read(file).Extraction);
        Assert.Equal(2, LimitSettingsParser.Read(file).Concurrency);
        Assert.Equal(["registries", "transfer", "limits", "cache"], file.Entries.Select(e => e.Key.ToString()));
    }

    [Theory]
    [InlineData("transfer: { idleTimeout: 5s\n")]
    [InlineData("limits:\n  concurrency: 2\n   maxEntries: 10\n")]
    [InlineData("transfer: {}\n---\nlimits: {}\n")]
    [InlineData("- transfer\n")]
    public void Every_reader_refuses_a_file_that_is_not_one_mapping_in_the_same_words(string yaml)
    {
        var expected = Assert.Throws<HostSettingsException>(() => SettingsFile.Parse(yaml, "config.yaml")).Message;

        Assert.Equal(expected, Assert.Throws<HostSettingsException>(() => HostSettings.Parse(yaml, "config.yaml")).Message);
        Assert.Equal(expected, Assert.Throws<HostSettingsException>(() => TransferSettings.Parse(yaml, "config.yaml")).Message);
        Assert.Equal(expected, Assert.Throws<HostSettingsException>(() => LimitSettingsParser.Parse(yaml, "config.yaml")).Message);
        Assert.StartsWith("config.yaml:", expected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_named()
    {
        var path = temp.Combine("nope", "config.yaml");

        var e = await Assert.ThrowsAsync<HostSettingsException>(() => SettingsFile.LoadAsync(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }
}
