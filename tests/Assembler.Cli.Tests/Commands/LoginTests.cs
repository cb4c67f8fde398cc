using System.Text;
using System.Text.Json;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests.Commands;

public sealed class LoginTests(BasicRegistryFixture fixture) : IClassFixture<BasicRegistryFixture>, IDisposable
{
    private readonly TempDirectory temp = new();

    private RegistryServer Server => fixture.Server;

    private string DockerConfig => temp.Combine("docker", "config.json");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Login_then_pack_and_pull_work_and_logout_forgets_the_credentials()
    {
        var file = temp.Combine("secret.txt");
        await File.WriteAllTextAsync(file, "behind basic auth\n");
        var reference = $"{Server.Host}/private/app:1";

        var login = await CliProcess.RunAsync(
            ["login", "--plain-http", "--registry-config", DockerConfig, Server.Host, "-u", Server.Username, "--password-stdin"],
            stdin: Server.Password + "\n");
        var pack = await CliProcess.RunAsync("pack", "--plain-http", "--registry-config", DockerConfig, reference, file);
        var pull = await CliProcess.RunAsync("pull", "--plain-http", "--registry-config", DockerConfig, reference, "-o", temp.Combine("out"));
        var stored = await File.ReadAllTextAsync(DockerConfig);
        var logout = await CliProcess.RunAsync("logout", "--registry-config", DockerConfig, Server.Host);
        var afterLogout = await CliProcess.RunAsync("pull", "--plain-http", "--registry-config", DockerConfig, reference, "-o", temp.Combine("again"));

        Assert.Equal((0, "Login Succeeded\n", ""), (login.ExitCode, login.Stdout, login.Stderr));
        Assert.Equal(0, pack.ExitCode);
        Assert.Equal(0, pull.ExitCode);
        Assert.Equal("behind basic auth\n", await File.ReadAllTextAsync(temp.Combine("out", "secret.txt")));

        using (var config = JsonDocument.Parse(stored))
        {
            var auth = config.RootElement.GetProperty("auths").GetProperty(Server.Host).GetProperty("auth").GetString()!;
            Assert.Equal($"{Server.Username}:{Server.Password}", Encoding.UTF8.GetString(Convert.FromBase64String(auth)));
        }

        Assert.Equal(0, logout.ExitCode);
        using (var config = JsonDocument.Parse(await File.ReadAllTextAsync(DockerConfig)))
        {
            Assert.False(config.RootElement.GetProperty("auths").TryGetProperty(Server.Host, out _));
        }

        Assert.Equal(1, afterLogout.ExitCode);
        Assert.StartsWith($"Error: fetch manifest {reference}: authentication required or credentials rejected (401 Unauthorized)", afterLogout.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_fails_clearly_and_stores_nothing()
    {
        var login = await CliProcess.RunAsync(
            ["login", "--plain-http", "--registry-config", DockerConfig, Server.Host, "-u", Server.Username, "--password-stdin"],
            stdin: "not-the-password");

        Assert.Equal(1, login.ExitCode);
        Assert.Equal($"Error: log in to {Server.Host}: authentication required or credentials rejected (401 Unauthorized): UNAUTHORIZED: authentication required\n", login.Stderr);
        Assert.DoesNotContain("not-the-password", login.Stderr + login.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(DockerConfig));
    }

    [Fact]
    public async Task A_password_on_the_command_line_works_with_a_warning()
    {
        var login = await CliProcess.RunAsync("login", "--plain-http", "--registry-config", DockerConfig, Server.Host, "-u", Server.Username, "-p", Server.Password);

        Assert.Equal(0, login.ExitCode);
        Assert.Contains("WARNING! Using --password via the command line is insecure. Use --password-stdin.", login.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(DockerConfig));
    }

    [Fact]
    public async Task Without_a_password_source_login_is_invalid_input()
    {
        var login = await CliProcess.RunAsync("login", "--plain-http", "--registry-config", DockerConfig, Server.Host, "-u", Server.Username);

        Assert.Equal(2, login.ExitCode);
        Assert.Equal("Error: no password given: pipe it in with --password-stdin (or pass -p)\n", login.Stderr);
    }

    [Fact]
    public async Task Anonymous_access_to_the_basic_registry_is_refused_with_exit_code_1()
    {
        var file = temp.Combine("a.txt");
        await File.WriteAllTextAsync(file, "a");

        var pack = await CliProcess.RunAsync("pack", "--plain-http", "--registry-config", DockerConfig, $"{Server.Host}/private/anon:1", file);

        Assert.Equal(1, pack.ExitCode);
        Assert.Contains("authentication required or credentials rejected (401 Unauthorized)", pack.Stderr, StringComparison.Ordinal);
    }
}
