using System.Net;
using System.Net.Sockets;
using OrasAssemble.Cli.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Cli.Tests;

/// <summary>Exit codes and messages that need no registry: 2 for what the user typed, 1 for what went wrong after.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("pack")]
    [InlineData("pull")]
    [InlineData("inspect")]
    [InlineData("tags")]
    [InlineData("login")]
    [InlineData("logout")]
    [InlineData("validate")]
    [InlineData("push")]
    [InlineData("assemble")]
    [InlineData("rebase")]
    [InlineData("history")]
    public async Task Every_verb_has_help(string verb)
    {
        var help = await CliProcess.RunAsync(verb, "--help");

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
        Assert.Contains($"oras-assemble {verb}", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--plain-http", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--oci-layout", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--store", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Top_level_help_lists_the_verbs_and_exit_codes()
    {
        var help = await CliProcess.RunAsync("--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var verb in new[] { "pack", "pull", "inspect", "tags", "login", "logout", "validate", "push", "assemble", "rebase", "history" })
        {
            Assert.Contains("  " + verb, help.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("2 invalid input", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rebase_needs_a_base_and_a_valid_one_before_anything_is_read()
    {
        var missing = await CliProcess.RunAsync("rebase", "127.0.0.1:9/spec:1");
        var bad = await CliProcess.RunAsync("rebase", "127.0.0.1:9/spec:1", "--base", "127.0.0.1:9/Upper:1");

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--base", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("Error: invalid reference \"127.0.0.1:9/Upper:1\": repository \"Upper\" must be lowercase\n", bad.Stderr);
    }

    [Fact]
    public async Task A_bad_reference_is_invalid_input_with_the_parser_message()
    {
        var pull = await CliProcess.RunAsync("pull", "127.0.0.1:5000/Upper/Case:1", "-o", temp.Path);

        Assert.Equal(2, pull.ExitCode);
        Assert.Equal("Error: invalid reference \"127.0.0.1:5000/Upper/Case:1\": repository \"Upper/Case\" must be lowercase\n", pull.Stderr);
        Assert.Empty(pull.Stdout);
    }

    [Fact]
    public async Task A_bad_layout_reference_is_invalid_input()
    {
        var inspect = await CliProcess.RunAsync("inspect", "--oci-layout", $"{temp.Path}@sha256:abc");

        Assert.Equal(2, inspect.ExitCode);
        Assert.StartsWith($"Error: invalid reference \"{temp.Path}@sha256:abc\": \"sha256:abc\" after '@' is not a valid digest", inspect.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_flags_and_missing_arguments_are_invalid_input()
    {
        var unknown = await CliProcess.RunAsync("pull", "localhost:5000/a:1", "-o", temp.Path, "--no-such-flag");
        var missing = await CliProcess.RunAsync("pull");
        var noVerb = await CliProcess.RunAsync();
        var badChoice = await CliProcess.RunAsync("inspect", "localhost:5000/a:1", "--output", "yaml");

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Error: Unrecognized command or argument '--no-such-flag'", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("Run 'oras-assemble pull --help' for usage.", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("Error: ", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, noVerb.ExitCode);
        Assert.Equal(2, badChoice.ExitCode);
        Assert.Contains("yaml", badChoice.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_invalid_input_and_nothing_is_pushed()
    {
        var layout = temp.Combine("layout");
        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{layout}:1", temp.Combine("no-such-file.txt"));

        Assert.Equal(2, pack.ExitCode);
        Assert.Equal($"Error: {temp.Combine("no-such-file.txt")}: no such file or directory\n", pack.Stderr);
        Assert.False(Directory.Exists(layout));
    }

    [Theory]
    [InlineData("a.txt:not-a-media-type", "\"not-a-media-type\" in \"{0}\" is not a media type")]
    [InlineData("--annotation=novalue", "--annotation \"novalue\" must be key=value")]
    [InlineData("--artifact-type=plain", "--artifact-type \"plain\" is not a media type")]
    public async Task Malformed_pack_arguments_are_invalid_input(string argument, string message)
    {
        await File.WriteAllTextAsync(temp.Combine("a.txt"), "a");
        var input = argument.StartsWith("--", StringComparison.Ordinal) ? argument : temp.Combine(argument);

        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{temp.Combine("layout")}:1", temp.Combine("a.txt"), input);

        Assert.Equal(2, pack.ExitCode);
        Assert.Contains(string.Format(System.Globalization.CultureInfo.InvariantCulture, message, input), pack.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_inputs_with_the_same_name_are_invalid_input()
    {
        Directory.CreateDirectory(temp.Combine("one"));
        Directory.CreateDirectory(temp.Combine("two"));
        await File.WriteAllTextAsync(temp.Combine("one", "same.txt"), "1");
        await File.WriteAllTextAsync(temp.Combine("two", "same.txt"), "2");

        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{temp.Combine("layout")}:1", temp.Combine("one", "same.txt"), temp.Combine("two", "same.txt"));

        Assert.Equal(2, pack.ExitCode);
        Assert.Contains("would both be named \"same.txt\"", pack.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_with_a_link_leading_out_is_refused_at_pack_time()
    {
        var folder = temp.Combine("app");
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "passwd"), "../../../etc/passwd");

        var pack = await CliProcess.RunAsync("pack", "--oci-layout", $"{temp.Combine("layout")}:1", folder);

        Assert.Equal(2, pack.ExitCode);
        Assert.Contains("symbolic link to ../../../etc/passwd leads out of the folder", pack.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_instead_of_read_forever()
    {
        var folder = temp.Combine("app");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "fine.txt"), "fine");
        await MakeFifoAsync(Path.Combine(folder, "pipe"));
        await MakeFifoAsync(temp.Combine("lonely-pipe"));

        var inFolder = await CliProcess.RunAsync("pack", "--oci-layout", $"{temp.Combine("layout")}:1", folder);
        var asInput = await CliProcess.RunAsync("pack", "--oci-layout", $"{temp.Combine("layout")}:1", temp.Combine("lonely-pipe"));

        Assert.Equal(2, inFolder.ExitCode);
        Assert.Equal($"Error: {Path.Combine(folder, "pipe")}: only regular files, folders and symbolic links can be packed (this is a FIFO, socket or device)\n", inFolder.Stderr);
        Assert.Equal(2, asInput.ExitCode);
        Assert.Contains("only regular files and folders can be packed (this is a FIFO, socket or device)", asInput.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_host_settings_file_is_invalid_input_naming_the_problem()
    {
        var config = temp.Combine("hosts.yaml");
        await File.WriteAllTextAsync(config, "registries:\n  ghcr.io:\n    plainhttp: true\n");

        var tags = await CliProcess.RunAsync("tags", "--config", config, "ghcr.io/a/b");
        var missing = await CliProcess.RunAsync("tags", "--config", temp.Combine("missing.yaml"), "ghcr.io/a/b");

        Assert.Equal(2, tags.ExitCode);
        Assert.Contains("unknown key \"plainhttp\"", tags.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("file not found", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_that_is_not_there_is_a_failure()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var pull = await CliProcess.RunAsync("pull", "--plain-http", $"127.0.0.1:{port}/app:1", "-o", temp.Combine("out"));

        Assert.Equal(1, pull.ExitCode);
        Assert.StartsWith("Error: Connection refused", pull.Stderr, StringComparison.Ordinal);
        Assert.Single(pull.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Login_to_something_that_is_not_a_registry_host_is_invalid_input()
    {
        var login = await CliProcess.RunAsync(["login", "not a host", "-u", "me", "--password-stdin"], stdin: "secret");

        Assert.Equal(2, login.ExitCode);
        Assert.Equal("Error: \"not a host\" is not a registry host (expected host[:port], e.g. ghcr.io or localhost:5000)\n", login.Stderr);
    }

    private static async Task MakeFifoAsync(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
