using System.Formats.Tar;
using System.Globalization;
using Grpc.Core;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.Execution;
using OrasAssemble.Tests.Fixtures;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Services;

/// <summary>What survives a plugin restart or upgrade, and what the plugin reports on /metrics.</summary>
public sealed class NodeLifecycleTests(AnonymousRegistryFixture fixture) : IClassFixture<AnonymousRegistryFixture>, IDisposable
{
    private readonly RegistryClient _registry = new(new RegistryClientOptions { Hosts = TestHosts.PlainHttp });

    private RegistryServer Server => fixture.Server;

    public void Dispose() => _registry.Dispose();

    private static Dictionary<string, string> Volume(string reference) => new() { [VolumeContextKeys.Reference] = reference };

    [Fact]
    public async Task A_plugin_restarted_between_publish_and_unpublish_still_unpublishes()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "restart");
        await using var plugin = await PluginUnderTest.StartAsync();
        var pod = TestPod.Create("web-0");
        var target = await plugin.Kubelet.PublishAsync(pod, Volume(spec));

        await plugin.RestartAsync();
        await plugin.Kubelet.PublishAsync(pod, Volume(spec));
        Assert.Equal(1, MountTable.MountsAt(target));
        await plugin.Kubelet.UnpublishAsync(pod);

        Assert.False(MountTable.IsMountPoint(target));
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task A_record_whose_mount_vanished_while_the_plugin_was_down_is_dropped_at_start()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "vanished");
        await using var plugin = await PluginUnderTest.StartAsync();
        var pod = TestPod.Create("web-0");
        var target = await plugin.Kubelet.PublishAsync(pod, Volume(spec));
        var records = Path.Combine(plugin.Root, "node", "volumes");
        Assert.Single(Directory.GetFiles(records));

        await plugin.StopAsync();
        new LinuxMounter().Unmount(target);
        await plugin.RestartAsync();

        Assert.Empty(Directory.GetFiles(records));
        Assert.False(Directory.Exists(target));
        Assert.Contains(plugin.Logs.Entries, e => e.Contains("0 still mounted, 1 dropped", StringComparison.Ordinal));
        await plugin.Kubelet.PublishAsync(pod, Volume(spec));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target));
    }

    [Fact]
    public async Task A_publish_whose_mount_was_lost_is_done_again_on_the_next_call()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "lost");
        await using var plugin = await PluginUnderTest.StartAsync();
        var pod = TestPod.Create("web-0");
        var target = await plugin.Kubelet.PublishAsync(pod, Volume(spec));
        new LinuxMounter().Unmount(target);

        await plugin.Kubelet.PublishAsync(pod, Volume(spec));

        Assert.Equal(1, MountTable.MountsAt(target));
        Assert.Equal(SampleContent.ExpectedTree, TreeSnapshot.Take(target));
    }

    [Fact]
    public async Task Metrics_count_calls_by_outcome_cache_hits_and_fetched_bytes()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "metrics");
        await using var plugin = await PluginUnderTest.StartAsync();
        var first = TestPod.Create("web-0");
        await plugin.Kubelet.PublishAsync(first, Volume(spec));
        await plugin.Kubelet.PublishAsync(TestPod.Create("web-1"), Volume(spec));
        await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("web-2"), Volume($"{Server.Host}/metrics/absent:1")));
        await plugin.Kubelet.UnpublishAsync(first);

        using var http = new HttpClient();
        var response = await http.GetAsync(plugin.Host.MetricsUri);
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_total", ("outcome", "OK")));
        Assert.Equal(1, metrics.Value("oras_assemble_csi_publish_total", ("outcome", "NOT_FOUND")));
        Assert.Equal(1, metrics.Value("oras_assemble_csi_unpublish_total", ("outcome", "OK")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_duration_seconds_count", ("outcome", "OK")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_duration_seconds_bucket", ("outcome", "OK"), ("le", "+Inf")));
        Assert.Equal(1, metrics.Value("oras_assemble_csi_cache_hits_total"));
        Assert.Equal(1, metrics.Value("oras_assemble_csi_cache_misses_total"));
        Assert.True(metrics.Value("oras_assemble_csi_fetched_bytes_total") > 0);
        Assert.Equal(0, metrics.Value("oras_assemble_csi_pulls_in_flight"));
        Assert.Equal("histogram", metrics.Types["oras_assemble_csi_publish_duration_seconds"]);
        Assert.Equal("counter", metrics.Types["oras_assemble_csi_publish_total"]);
        Assert.Equal("gauge", metrics.Types["oras_assemble_csi_pulls_in_flight"]);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(plugin.Host.MetricsUri!, "/other"))).StatusCode);
    }

    [Fact]
    public async Task Device_nodes_and_fifos_left_out_of_a_built_tree_are_counted_once()
    {
        await ContentBuilder.PushImageAsync(_registry.GetRepository($"{Server.Host}/metrics-special/rootfs"), "1",
            new TarBuilder()
                .Directory("dev")
                .Add(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = TarBuilder.Mode("666") })
                .Add(new PaxTarEntry(TarEntryType.BlockDevice, "dev/sda") { DeviceMajor = 8, DeviceMinor = 0, Mode = TarBuilder.Mode("660") })
                .Add(new PaxTarEntry(TarEntryType.Fifo, "dev/initctl") { Mode = TarBuilder.Mode("600") })
                .Directory("etc")
                .File("etc/hostname", "node\n"));
        await using var plugin = await PluginUnderTest.StartAsync();
        using var http = new HttpClient();
        var before = PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));

        var target = await plugin.Kubelet.PublishAsync(TestPod.Create("os-0"), Volume($"{Server.Host}/metrics-special/rootfs:1"));
        await plugin.Kubelet.PublishAsync(TestPod.Create("os-1"), Volume($"{Server.Host}/metrics-special/rootfs:1"));
        var after = PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));

        Assert.Equal(["dev", "etc", "etc/hostname"], TreeSnapshot.Take(target).Keys);
        Assert.Equal(0, before.Value("oras_assemble_csi_skipped_special_files_total"));
        Assert.Equal("counter", after.Types["oras_assemble_csi_skipped_special_files_total"]);
        Assert.Equal(3, after.Value("oras_assemble_csi_skipped_special_files_total"));
        Assert.Equal(1, after.Value("oras_assemble_csi_cache_hits_total"));
    }

    [Fact]
    public async Task Each_part_of_a_publish_is_timed_under_its_own_phase_label()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "phases");
        await using var plugin = await PluginUnderTest.StartAsync();
        await plugin.Kubelet.PublishAsync(TestPod.Create("web-0"), Volume(spec));
        await plugin.Kubelet.PublishAsync(TestPod.Create("web-1"), Volume(spec));
        await Assert.ThrowsAsync<GrpcCallException>(() => plugin.Kubelet.PublishAsync(TestPod.Create("web-2"), Volume($"{Server.Host}/phases/absent:1")));

        using var http = new HttpClient();
        var metrics = PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));

        Assert.Equal("histogram", metrics.Types["oras_assemble_csi_publish_phase_seconds"]);
        Assert.Equal(3, metrics.Value("oras_assemble_csi_publish_phase_seconds_count", ("phase", "validate")));
        Assert.Equal(3, metrics.Value("oras_assemble_csi_publish_phase_seconds_count", ("phase", "credentials")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_phase_seconds_count", ("phase", "tree")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_phase_seconds_count", ("phase", "record")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_phase_seconds_count", ("phase", "mount")));
        Assert.Equal(2, metrics.Value("oras_assemble_csi_publish_phase_seconds_bucket", ("phase", "mount"), ("le", "+Inf")));
        Assert.True(metrics.Value("oras_assemble_csi_publish_phase_seconds_sum", ("phase", "record")) > 0);
    }

    [Fact]
    public async Task Metrics_buckets_span_millisecond_publishes_to_minute_pulls_beside_process_and_runtime_metrics()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "metrics-buckets");
        await using var plugin = await PluginUnderTest.StartAsync();
        await plugin.Kubelet.PublishAsync(TestPod.Create("web-0"), Volume(spec));

        using var http = new HttpClient();
        var metrics = PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));

        var bounds = metrics.Samples
            .Where(s => s.Name == "oras_assemble_csi_publish_duration_seconds_bucket" && s.Labels["outcome"] == "OK")
            .Select(s => s.Labels["le"]).ToList();
        Assert.Equal("0.001", bounds[0]);
        Assert.Contains("300", bounds);
        Assert.Equal("+Inf", bounds[^1]);
        Assert.True(metrics.Value("process_cpu_seconds_total") > 0);
        Assert.True(metrics.Value("process_working_set_bytes") > 0);

        // The .NET runtime's own instruments, read from its System.Runtime meter at the scrape.
        Assert.True(metrics.Value("dotnet_gc_heap_total_allocated_bytes_total") > 0);
        Assert.True(metrics.Value("dotnet_jit_compiled_methods_total") > 0);
        // A running total the runtime reports at each scrape, some of which fall (the thread pool's threads): a gauge.
        Assert.Equal("gauge", metrics.Types["dotnet_thread_pool_thread_count_total"]);
        Assert.True(metrics.Value("dotnet_thread_pool_thread_count_total") >= 1);
        Assert.Equal(["gen0", "gen1", "gen2"],
            metrics.Samples.Where(s => s.Name == "dotnet_gc_collections_total").Select(s => s.Labels["gc_heap_generation"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_plugins_in_one_process_count_only_their_own_calls()
    {
        var spec = await SampleContent.PushSpecAsync(_registry, Server.Host, "metrics-two");
        await using var busy = await PluginUnderTest.StartAsync();
        await using var idle = await PluginUnderTest.StartAsync();
        await busy.Kubelet.PublishAsync(TestPod.Create("web-0"), Volume(spec));
        await busy.Kubelet.PublishAsync(TestPod.Create("web-1"), Volume(spec));

        using var http = new HttpClient();
        var busyMetrics = PrometheusText.Parse(await http.GetStringAsync(busy.Host.MetricsUri));
        var idleMetrics = PrometheusText.Parse(await http.GetStringAsync(idle.Host.MetricsUri));

        Assert.Equal(2, busyMetrics.Value("oras_assemble_csi_publish_total", ("outcome", "OK")));
        Assert.False(idleMetrics.Has("oras_assemble_csi_publish_total"));
        Assert.Equal(0, idleMetrics.Value("oras_assemble_csi_cache_misses_total"));
    }
}
