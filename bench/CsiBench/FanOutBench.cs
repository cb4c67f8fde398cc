using System.Diagnostics;
using System.Globalization;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;

namespace OrasAssemble.CsiBench;

/// <summary>Many pods of one uncached spec landing at once: all publishes sent together, timed until the last is mounted.</summary>
internal static class FanOutBench
{
    public static async Task<IReadOnlyList<(string Name, string Value)>> RunAsync(KubeletClient kubelet, string reference, int pods)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = reference };
        var fanPods = Enumerable.Range(0, pods).Select(i => TestPod.Create($"fan-{i}")).ToList();

        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(fanPods.Select(r => kubelet.PublishAsync(r, volume)));
        var wall = Stopwatch.GetElapsedTime(started);

        var mounted = fanPods.Count(r => MountTable.IsMountPoint(kubelet.TargetPath(r.Uid, r.VolumeName)));
        foreach (var r in fanPods)
        {
            await kubelet.UnpublishAsync(r);
        }

        return
        [
            (nameof(pods), pods.ToString(CultureInfo.InvariantCulture)),
            (nameof(mounted), mounted.ToString(CultureInfo.InvariantCulture)),
            ("fanout_wall_s", wall.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)),
        ];
    }
}
