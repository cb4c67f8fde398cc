using System.Diagnostics;
using System.Globalization;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;

namespace OrasAssemble.CsiBench;

/// <summary>
/// Warm NodePublishVolume latency next to what a read-only bind mount costs on its own. The two are interleaved, one
/// of each per round, so noise from the shared machine falls on both alike.
/// </summary>
internal static class PublishLatencyBench
{
    public static async Task<IReadOnlyList<(string Name, string Value)>> RunAsync(
        KubeletClient kubelet, string reference, int rounds, string bareSource, string bareDirectory)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = reference };

        // Fills the cache (and resolves the tag once), so every timed publish is a cache hit.
        var warmup = TestPod.Create("warmup");
        await kubelet.PublishAsync(warmup, volume);
        await kubelet.UnpublishAsync(warmup);

        // The plugin's own mount(2) calls: bind, then remount read-only, nosuid, nodev.
        var mounter = new LinuxMounter();
        var publish = new LatencySample();
        var bare = new LatencySample();
        for (var i = 0; i < rounds; i++)
        {
            var pod = TestPod.Create($"warm-{i}");
            var request = kubelet.PublishRequest(pod, volume);
            Directory.CreateDirectory(Path.GetDirectoryName(request.TargetPath)!);
            var started = Stopwatch.GetTimestamp();
            await kubelet.PublishAsync(request);
            publish.Add(Stopwatch.GetElapsedTime(started));
            if (!MountTable.IsMountPoint(request.TargetPath))
            {
                throw new InvalidOperationException($"publish {i} answered OK but {request.TargetPath} is not mounted");
            }

            await kubelet.UnpublishAsync(pod);

            var target = Directory.CreateDirectory(Path.Combine(bareDirectory, i.ToString(CultureInfo.InvariantCulture))).FullName;
            started = Stopwatch.GetTimestamp();
            mounter.BindReadOnly(bareSource, target);
            bare.Add(Stopwatch.GetElapsedTime(started));
            mounter.Unmount(target);
        }

        return [(nameof(rounds), rounds.ToString(CultureInfo.InvariantCulture)), .. publish.Summary("publish"), .. bare.Summary("bare")];
    }
}
