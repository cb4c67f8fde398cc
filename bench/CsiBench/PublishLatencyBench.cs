using System.Diagnostics;
using System.Globalization;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;

namespace OrasAssemble.CsiBench;

/// <summary>
/// Warm NodePublishVolume latency next to what a read-only bind mount costs on its own, then broken down into its parts.
/// The timed rounds are what kubelet sees: a NodeGetInfo on the same connection (the gRPC round trip, which does no
/// work), a publish and its unpublish, and a bare bind, one of each per round, so noise from the shared machine falls on
/// both alike. The breakdown rounds that follow publish again with the plugin's metrics read before and after each
/// publish: the parts the plugin times itself (<c>oras_assemble_csi_publish_phase_seconds</c>) and the rest (dispatch,
/// the call's log line, the response). Registry requests are counted in the registry's access log over both.
/// </summary>
internal static class PublishLatencyBench
{
    /// <summary>At least this many untimed publishes before the timed ones: the first fills the cache.</summary>
    internal const int MinWarmupPublishes = 50;

    /// <summary>The warm-up ends once the plugin's JIT has compiled nothing new for this long...</summary>
    private static readonly TimeSpan JitSettled = TimeSpan.FromSeconds(3);

    /// <summary>...or after this long, whichever comes first.</summary>
    private static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(120);

    private const string PhaseSum = "oras_assemble_csi_publish_phase_seconds_sum{phase=\"";
    private const string JitCompiled = "dotnet_jit_compiled_methods_total";

    public static async Task<IReadOnlyList<(string Name, string Value)>> RunAsync(
        KubeletClient kubelet, string reference, int rounds, string bareSource, string bareDirectory, Uri metrics, string registryLog)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = reference };
        using var http = new HttpClient();

        // The first publish fills the cache (and resolves the tag once), so every timed publish is a cache hit. The rest
        // stand for a plugin that has served pods for a while: tiered compilation recompiles a method after its first 30
        // calls, in the background, and for a host of ASP.NET Core, gRPC and the plugin that goes on for tens of seconds
        // after start. So the warm-up publishes until the plugin's JIT has compiled nothing new for a while (which warms
        // this client's code the same way).
        var warmup = Stopwatch.StartNew();
        var settledSince = TimeSpan.Zero;
        var warmups = 0;
        double? compiled = null;
        while (warmup.Elapsed < MaxWarmup)
        {
            for (var i = 0; i < 10; i++, warmups++)
            {
                await PublishOnceAsync(kubelet, volume, $"warmup-{warmups}");
            }

            var now = await MetricAsync(http, metrics, JitCompiled);
            if (now != compiled)
            {
                (compiled, settledSince) = (now, warmup.Elapsed);
            }
            else if (warmups >= MinWarmupPublishes && warmup.Elapsed - settledSince >= JitSettled)
            {
                break;
            }
        }

        var jitSettled = warmup.Elapsed - settledSince >= JitSettled;

        var registryBefore = RegistryRequests(registryLog);

        // As kubelet sees it: publish, unpublish and a bare bind per round, nothing else asked of the plugin.
        var mounter = new LinuxMounter();
        var publish = new LatencySample();
        var bare = new LatencySample();
        var transport = new LatencySample();
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await kubelet.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest());
            transport.Add(Stopwatch.GetElapsedTime(started));
            publish.Add(await PublishOnceAsync(kubelet, volume, $"warm-{i}"));
            bare.Add(BareBind(mounter, bareSource, Path.Combine(bareDirectory, i.ToString(CultureInfo.InvariantCulture))));
        }

        // The breakdown, in rounds of their own: its metrics scrapes before and after each publish are work a kubelet
        // does not ask for (and the scrape's garbage is collected during later calls), so they stay out of the rounds above.
        var rest = new LatencySample();
        var phases = new Dictionary<string, LatencySample>(StringComparer.Ordinal);
        for (var i = 0; i < rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await kubelet.Grpc.CallAsync<NodeGetInfoResponse>("/csi.v1.Node/NodeGetInfo", new NodeGetInfoRequest());
            var roundTrip = Stopwatch.GetElapsedTime(started);
            var before = await PhaseSumsAsync(http, metrics);
            var elapsed = await PublishOnceAsync(kubelet, volume, $"parts-{i}");
            var after = await PhaseSumsAsync(http, metrics);
            var timed = TimeSpan.Zero;
            foreach (var (phase, sum) in after)
            {
                var part = TimeSpan.FromSeconds(sum - before.GetValueOrDefault(phase));
                timed += part;
                (phases.TryGetValue(phase, out var sample) ? sample : phases[phase] = new LatencySample()).Add(part);
            }

            rest.Add(elapsed - roundTrip - timed);
        }

        var registryRequests = RegistryRequests(registryLog) - registryBefore;
        return
        [
            (nameof(rounds), rounds.ToString(CultureInfo.InvariantCulture)),
            ("warmup_publishes", warmups.ToString(CultureInfo.InvariantCulture)),
            ("warmup_s", warmup.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)),
            ("jit_settled", jitSettled ? "yes" : "no"),
            ("registry_requests", registryRequests.ToString(CultureInfo.InvariantCulture)),
            .. publish.Summary("publish"),
            .. bare.Summary("bare"),
            .. transport.Summary("part_transport"),
            .. phases.SelectMany(p => p.Value.Summary($"part_{p.Key}")),
            .. rest.Summary("part_rest"),
        ];
    }

    /// <summary>Publishes a new pod's volume, checks it is mounted and unpublishes it; returns the publish's duration.</summary>
    private static async Task<TimeSpan> PublishOnceAsync(KubeletClient kubelet, Dictionary<string, string> volume, string podName)
    {
        var pod = TestPod.Create(podName);
        var request = kubelet.PublishRequest(pod, volume);
        Directory.CreateDirectory(Path.GetDirectoryName(request.TargetPath)!);
        var started = Stopwatch.GetTimestamp();
        await kubelet.PublishAsync(request);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (!MountTable.IsMountPoint(request.TargetPath))
        {
            throw new InvalidOperationException($"the publish of {podName} answered OK but {request.TargetPath} is not mounted");
        }

        await kubelet.UnpublishAsync(pod);
        return elapsed;
    }

    /// <summary>The plugin's own mount(2) calls (bind, then remount read-only, nosuid, nodev), timed; then unmounted.</summary>
    private static TimeSpan BareBind(LinuxMounter mounter, string source, string directory)
    {
        var target = Directory.CreateDirectory(directory).FullName;
        var started = Stopwatch.GetTimestamp();
        mounter.BindReadOnly(source, target);
        var elapsed = Stopwatch.GetElapsedTime(started);
        mounter.Unmount(target);
        return elapsed;
    }

    /// <summary>One unlabelled value from the plugin's metrics.</summary>
    private static async Task<double> MetricAsync(HttpClient http, Uri metrics, string name)
    {
        foreach (var line in (await http.GetStringAsync(metrics)).Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"the plugin's metrics have no {name}");
    }

    /// <summary>The plugin's running total of seconds spent in each publish phase.</summary>
    private static async Task<Dictionary<string, double>> PhaseSumsAsync(HttpClient http, Uri metrics)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await http.GetStringAsync(metrics)).Split('\n'))
        {
            if (line.StartsWith(PhaseSum, StringComparison.Ordinal) && line.IndexOf("\"} ", StringComparison.Ordinal) is var end and > 0)
            {
                sums[line[PhaseSum.Length..end]] = double.Parse(line[(end + 3)..], CultureInfo.InvariantCulture);
            }
        }

        return sums;
    }

    /// <summary>Requests to the registry API so far, from its access log (one line each).</summary>
    private static int RegistryRequests(string log) =>
        File.ReadLines(log).Count(l => l.Contains(" /v2/", StringComparison.Ordinal) && l.Contains("HTTP/", StringComparison.Ordinal));
}
