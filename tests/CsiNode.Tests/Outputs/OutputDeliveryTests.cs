using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using static OrasAssemble.CsiNode.Tests.Outputs.OutputVolumeDriver;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>Outputs pushed while the registry is away, after a restart, and with credentials it refuses or accepts.</summary>
public sealed class OutputDeliveryTests(AnonymousRegistryFixture anonymous, TokenRegistryFixture token)
    : IClassFixture<AnonymousRegistryFixture>, IClassFixture<TokenRegistryFixture>, IAsyncLifetime
{
    private const string Config = PluginUnderTest.DefaultConfig + """

        outputs: { retryInitial: 200ms, retryMax: 1s, retryRefused: 1h }
        """;

    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });
    private GatedRegistryProxy? _proxy;

    public async Task InitializeAsync() => _proxy = await GatedRegistryProxy.StartAsync(anonymous.Server.BaseUri);

    public async Task DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _registry.Dispose();
    }

    private GatedRegistryProxy Proxy => _proxy!;

    private int ManifestPuts(RegistryServer server, string repository) =>
        server.Count("PUT", new Regex($"^/v2/{Regex.Escape(repository)}/manifests/"));

    [Fact]
    public async Task Unpublish_answers_while_the_registry_is_down_and_the_output_is_pushed_when_it_returns()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var pod = TestPod.Create("down-0");
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{Proxy.Host}/wf/down:1"));
        await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "written while the registry was away");
        Proxy.Unreachable = true;

        await plugin.Kubelet.UnpublishAsync(pod);

        Assert.False(MountTable.IsMountPoint(target));
        var entry = Assert.Single(plugin.OutboxEntries());
        Assert.Equal("written while the registry was away", await File.ReadAllTextAsync(Path.Combine(entry, "data", "result.txt")));
        await WaitForAsync(async () => await plugin.FailedAsync("unavailable") >= 2, "two failed attempts");
        Assert.Single(plugin.OutboxEntries());
        Assert.Equal(1, (await plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_pending"));

        Proxy.Unreachable = false;

        var (manifest, _) = await WaitForManifestAsync(_registry, $"{anonymous.Server.Host}/wf/down:1");
        Assert.Equal("result.txt", Assert.Single(manifest.Layers).Annotations![Annotations.Title]);
        await WaitForAsync(() => Task.FromResult(plugin.OutboxEntries().Count == 0), "the outbox to empty");
        Assert.Equal(1, ManifestPuts(anonymous.Server, "wf/down"));
    }

    [Fact]
    public async Task An_output_unpublished_before_a_restart_is_pushed_once_by_the_next_plugin()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var pod = TestPod.Create("restart-0");
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{Proxy.Host}/wf/restart:{{pod.name}}"));
        await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "survives a restart");
        Proxy.Unreachable = true;
        await plugin.Kubelet.UnpublishAsync(pod);
        await plugin.StopAsync();
        Assert.Single(plugin.OutboxEntries());
        Proxy.Unreachable = false;

        await plugin.RestartAsync();

        await WaitForManifestAsync(_registry, $"{anonymous.Server.Host}/wf/restart:restart-0");
        await WaitForAsync(() => Task.FromResult(plugin.OutboxEntries().Count == 0), "the outbox to empty");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, ManifestPuts(anonymous.Server, "wf/restart"));
        Assert.Equal(1, (await plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_pushed_total"));
    }

    [Fact]
    public async Task A_push_the_registry_refuses_is_kept_logged_at_error_and_counted()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var pod = TestPod.Create("refused-0", "team-a");
        var secrets = new Dictionary<string, string> { ["username"] = token.Server.Username, ["password"] = "not-the-password" };
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{token.Server.Host}/wf/refused:1"), secrets);
        await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "kept");

        await plugin.Kubelet.UnpublishAsync(pod);

        await WaitForAsync(async () => await plugin.FailedAsync("refused") >= 1, "the refusal to be counted");
        var entry = Assert.Single(plugin.OutboxEntries());
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(entry, "data", "result.txt")));
        var logged = Assert.Single(plugin.Logs.Entries, e => e.Contains("[712]", StringComparison.Ordinal));
        Assert.StartsWith("Error", logged, StringComparison.Ordinal);
        Assert.Contains($"output {Path.GetFileName(entry)} of pod team-a/refused-0 for {token.Server.Host}/wf/refused:1 was refused: ", logged, StringComparison.Ordinal);
        Assert.Contains("it is kept on the node and tried again in 3600 s", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(plugin.Logs.Entries, e => e.Contains("not-the-password", StringComparison.Ordinal));
        Assert.Equal(0, ManifestPuts(token.Server, "wf/refused"));
        Assert.Equal(1, await plugin.FailedAsync("refused"));
    }

    [Fact]
    public async Task The_pods_own_secret_pushes_to_a_private_registry_and_is_deleted_with_the_entry()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var pod = TestPod.Create("private-0", "team-a");
        var secrets = new Dictionary<string, string> { ["username"] = token.Server.Username, ["password"] = token.Server.Password, ["unrelated"] = "x" };
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{token.Server.Host}/wf/private:1"), secrets);
        var credentials = Assert.Single(Directory.GetFiles(Path.Combine(plugin.Root, "node", "outputs", "volumes"), "credentials.json", SearchOption.AllDirectories));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        Assert.DoesNotContain("unrelated", await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "private");

        await plugin.Kubelet.UnpublishAsync(pod);

        // A pushed entry leaves the outbox in one rename and is deleted just after: the credentials go with it.
        string[] Credentials() => Directory.GetFiles(Path.Combine(plugin.Root, "node", "outputs"), "credentials.json", SearchOption.AllDirectories);
        await WaitForAsync(() => Task.FromResult(plugin.OutboxEntries().Count == 0 && Credentials().Length == 0), "the outbox to empty and the credentials to go");
        Assert.Equal(1, ManifestPuts(token.Server, "wf/private"));
        Assert.Empty(Credentials());
        Assert.DoesNotContain(plugin.Logs.Entries, e => e.Contains(token.Server.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pod_without_a_secret_never_pushes_with_another_pods_credentials()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var owner = TestPod.Create("owner-0", "team-a");
        var other = TestPod.Create("other-0", "team-b");
        var secrets = new Dictionary<string, string> { ["username"] = token.Server.Username, ["password"] = token.Server.Password };
        var ownerTarget = await plugin.Kubelet.PublishWritableAsync(owner, Output($"{token.Server.Host}/wf/shared:{{pod.namespace}}"), secrets);
        var otherTarget = await plugin.Kubelet.PublishWritableAsync(other, Output($"{token.Server.Host}/wf/shared:{{pod.namespace}}"));
        await File.WriteAllTextAsync(Path.Combine(ownerTarget, "result.txt"), "a");
        await File.WriteAllTextAsync(Path.Combine(otherTarget, "result.txt"), "b");

        await plugin.Kubelet.UnpublishAsync(owner);
        await WaitForAsync(() => Task.FromResult(plugin.OutboxEntries().Count == 0), "the first output to be pushed");
        await plugin.Kubelet.UnpublishAsync(other);

        await WaitForAsync(async () => await plugin.FailedAsync("refused") >= 1, "the second output to be refused");
        Assert.Equal(1, token.Server.Count("PUT", "/v2/wf/shared/manifests/team-a"));
        Assert.Equal(0, token.Server.Count("PUT", "/v2/wf/shared/manifests/team-b"));
        var entry = Assert.Single(plugin.OutboxEntries());
        Assert.Equal("b", await File.ReadAllTextAsync(Path.Combine(entry, "data", "result.txt")));
    }

    [Fact]
    public async Task An_output_volume_published_before_a_restart_is_unpublished_and_pushed_by_the_next_plugin()
    {
        await using var plugin = await PluginUnderTest.StartAsync(Config);
        var pod = TestPod.Create("upgrade-0");
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{anonymous.Server.Host}/wf/upgrade:1"));
        await File.WriteAllTextAsync(Path.Combine(target, "before.txt"), "written before the restart");

        await plugin.RestartAsync();
        await File.WriteAllTextAsync(Path.Combine(target, "after.txt"), "and after it");
        await plugin.Kubelet.UnpublishAsync(pod);

        var (manifest, _) = await WaitForManifestAsync(_registry, $"{anonymous.Server.Host}/wf/upgrade:1");
        Assert.Equal(["after.txt", "before.txt"], manifest.Layers.Select(l => l.Annotations![Annotations.Title]));
        Assert.False(MountTable.IsMountPoint(target));
    }

    [Fact]
    public async Task An_output_not_pushed_within_max_age_is_kept_and_reported_at_every_try()
    {
        await using var plugin = await PluginUnderTest.StartAsync(PluginUnderTest.DefaultConfig + """

            outputs: { retryRefused: 1s, maxAge: 1s }
            """);
        var pod = TestPod.Create("stale-0", "team-c");
        var target = await plugin.Kubelet.PublishWritableAsync(pod, Output($"{token.Server.Host}/wf/stale:1"));
        await File.WriteAllTextAsync(Path.Combine(target, "result.txt"), "waiting");

        await plugin.Kubelet.UnpublishAsync(pod);

        await WaitForAsync(async () => await plugin.FailedAsync("expired") >= 2, "two reports of an output past its age");
        var reported = plugin.Logs.Entries.First(e => e.Contains("[715]", StringComparison.Ordinal));
        Assert.StartsWith("Error", reported, StringComparison.Ordinal);
        Assert.Contains($"of pod team-c/stale-0 for {token.Server.Host}/wf/stale:1 was unpublished ", reported, StringComparison.Ordinal);
        Assert.Contains("and is still not pushed (outputs.maxAge 1 s); it is kept", reported, StringComparison.Ordinal);
        var entry = Assert.Single(plugin.OutboxEntries());
        Assert.Equal("waiting", await File.ReadAllTextAsync(Path.Combine(entry, "data", "result.txt")));
        Assert.True(await plugin.FailedAsync("refused") >= 2);
    }
}
