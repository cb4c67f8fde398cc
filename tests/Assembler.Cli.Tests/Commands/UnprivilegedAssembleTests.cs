using System.Diagnostics;
using System.Formats.Tar;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

/// <summary><c>assemble</c> run by a user who cannot give files away: modes and times stay, owners are the user's, and it says so.</summary>
public sealed class UnprivilegedAssembleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private static readonly DateTimeOffset Time = new(2022, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task An_unprivileged_assemble_keeps_modes_and_times_and_says_owners_were_not_kept()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "srv/") { Uid = 1000, Gid = 1000, Mode = (UnixFileMode)0x1E8, ModificationTime = Time });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "srv/data")
            {
                Uid = 1000, Gid = 1000, Mode = (UnixFileMode)0x1A0, ModificationTime = Time, DataStream = new MemoryStream("data"u8.ToArray()),
            });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "srv/link") { Uid = 1000, Gid = 1000, LinkName = "data", ModificationTime = Time });
        }

        using var client = RegistryClients.PlainHttp();
        await SpecFixtures.PushTarImageAsync(client.GetRepository($"{fixture.Server.Host}/asm-nobody/owned"), "1", tar.ToArray());
        File.SetUnixFileMode(temp.Path, (UnixFileMode)0x1FF);
        var spec = SpecFixtures.WriteSpec(temp.Path, $$"""
            apiVersion: assemble.oras.land/v1
            kind: Assembly
            metadata: { name: nobody }
            sources:
              img: { ref: {{fixture.Server.Host}}/asm-nobody/owned:1 }
            steps:
              - copy: { from: img, path: /srv, to: /srv }
            """);

        var assemble = await CliProcess.RunAsNobodyAsync(temp.Path, "assemble", "--plain-http", spec, "--out", temp.Combine("out"), "--cache", temp.Combine("cache"));

        Assert.True(assemble.ExitCode == 0, assemble.Stderr);
        Assert.Contains("owners were not kept", assemble.Stderr, StringComparison.Ordinal);
        var seconds = Time.ToUnixTimeSeconds();
        Assert.Equal(
            [$"srv d 65534:65534 750 {seconds}", $"srv/data f 65534:65534 640 {seconds}", $"srv/link l 65534:65534 777 {seconds}"],
            await FindAsync(temp.Combine("out")));
    }

    /// <summary>Path, kind, owner, mode and whole seconds of each entry, from lstat, by find(1).</summary>
    private static async Task<List<string>> FindAsync(string root)
    {
        var start = new ProcessStartInfo("find") { RedirectStandardOutput = true };
        foreach (var argument in new[] { root, "-mindepth", "1", "-printf", "%P %y %U:%G %m %T@\n" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[..line.LastIndexOf('.')]).Order(StringComparer.Ordinal).ToList();
    }
}
