using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.Tests.Containers;

/// <summary>
/// podman as root with storage (vfs), registries and engine settings of its own in a temp directory, so the machine's
/// container configuration is neither read nor changed: runc (crun fails here), cgroupfs, events to a file. The
/// storage lives on a tmpfs of its own: vfs copies every layer below a container in full, and on a disk shared with
/// parallel builds writing and then deleting those copies took longer than the tests themselves. Disposing it
/// removes every container it started, even after a failed assertion, then the storage.
/// </summary>
internal sealed class Podman : IAsyncDisposable
{
    /// <summary>What the machines here allow a container (podman's defaults exceed the hard limits).</summary>
    public static readonly IReadOnlyList<string> Ulimits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    /// <summary>Room for an image and two containers, each a full copy of its image under vfs (about 300 MB each).</summary>
    private const string StorageSize = "2g";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _state;
    private readonly List<string> _containers = [];
    private readonly Dictionary<string, string> _environment;

    private Podman(TempDirectory state)
    {
        _state = state;
        File.WriteAllText(_state.Combine("storage.conf"), $"""
            [storage]
            driver = "vfs"
            runroot = "{_state.Combine("run")}"
            graphroot = "{_state.Combine("graph")}"
            """);
        File.WriteAllText(_state.Combine("registries.conf"), "unqualified-search-registries = []\n");
        File.WriteAllText(_state.Combine("containers.conf"), """
            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """);
        File.WriteAllText(_state.Combine("policy.json"), """{"default":[{"type":"insecureAcceptAnything"}]}""");
        _environment = new Dictionary<string, string>
        {
            ["CONTAINERS_STORAGE_CONF"] = _state.Combine("storage.conf"),
            ["CONTAINERS_REGISTRIES_CONF"] = _state.Combine("registries.conf"),
            ["CONTAINERS_CONF"] = _state.Combine("containers.conf"),
        };
    }

    /// <summary>A podman with empty storage on a fresh tmpfs.</summary>
    public static async Task<Podman> CreateAsync()
    {
        var state = new TempDirectory();
        var mount = await ProgramRun.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={StorageSize},mode=0700", "tmpfs", state.Path], CommandTimeout);
        if (mount.ExitCode != 0)
        {
            state.Dispose();
            throw new InvalidOperationException($"'{mount.CommandLine}' failed (podman's storage needs root): {mount.Output}");
        }

        return new Podman(state);
    }

    /// <summary>Copies <paramref name="tag"/> of the OCI layout into this storage; returns the image's name there.</summary>
    public async Task<string> LoadAsync(string layout, string tag)
    {
        var name = $"localhost/oras-assemble-{tag}:under-test";
        await CheckProgramAsync("skopeo", "--policy", _state.Combine("policy.json"), "copy", "--quiet", $"oci:{layout}:{tag}", $"containers-storage:{name}");
        return name;
    }

    /// <summary><c>podman run -d</c> with <see cref="Ulimits"/> and <paramref name="arguments"/>; returns the container's id.</summary>
    public async Task<string> StartAsync(params string[] arguments)
    {
        var name = $"oras-assemble-test-{Guid.NewGuid():N}"[..32];
        lock (_containers)
        {
            _containers.Add(name);
        }

        var output = await CheckProgramAsync("podman", ["run", "-d", "--name", name, .. Ulimits, .. arguments]);
        return output.Trim().Split('\n')[^1];
    }

    /// <summary>Runs podman; fails with what it printed when it exits with an error.</summary>
    public Task<string> CheckAsync(params string[] arguments) => CheckProgramAsync("podman", arguments);

    /// <summary>Runs podman and returns its result, whatever the exit code.</summary>
    public Task<ProgramRun> RunAsync(params string[] arguments) => ProgramRun.RunAsync("podman", arguments, CommandTimeout, _environment);

    /// <summary>Whether the container is still running, and its logs when it is not: the reason a wait failed.</summary>
    public async Task<(bool Running, string Logs)> StateAsync(string id)
    {
        var state = await RunAsync("inspect", "--format", "{{.State.Running}}", id);
        var running = state.ExitCode == 0 && state.Output.Trim() == "true";
        return (running, running ? "" : (await RunAsync("logs", id)).Output);
    }

    public async ValueTask DisposeAsync()
    {
        string[] containers;
        lock (_containers)
        {
            containers = [.. _containers];
        }

        try
        {
            foreach (var container in containers)
            {
                await RunAsync("rm", "--force", "--time", "0", container);
            }
        }
        finally
        {
            // The storage's own mounts (a container's /dev/shm, should a removal have failed), then the tmpfs itself.
            await UnmountAllUnderAsync(_state.Path);
            _state.Dispose();
        }
    }

    /// <summary>Detaches every mount at or below <paramref name="directory"/>, deepest first.</summary>
    public static async Task UnmountAllUnderAsync(string directory)
    {
        var mountPoints = File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(point => point == directory || point.StartsWith(directory + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length)
            .ToList();
        foreach (var mountPoint in mountPoints)
        {
            await ProgramRun.RunAsync("umount", ["--lazy", mountPoint], CommandTimeout);
        }
    }

    private async Task<string> CheckProgramAsync(string program, params string[] arguments)
    {
        var run = await ProgramRun.RunAsync(program, arguments, CommandTimeout, _environment);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{run.CommandLine}' exited with code {run.ExitCode}:\n{run.Tail()}");
        }

        return run.Output;
    }
}
