using System.Diagnostics;
using System.Globalization;
using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;

namespace OrasAssemble.CsiBench;

/// <summary>
/// A node through an indexed job of many pods of one spec: waves of pods published all at once and then unpublished
/// all at once, as kubelet does (a new connection per call), then the plugin left idle so its timers and collection run.
/// The plugin's resident memory, open file descriptors and threads (from <c>/proc/&lt;pid&gt;</c>) and the mounts under
/// the kubelet directory are sampled before the first wave (after one warm-up pod fills the cache), after each wave,
/// and after idling, beside each wave's publish latency.
/// </summary>
internal static class SoakBench
{
    public static async Task<IReadOnlyList<(string Name, string Value)>> RunAsync(
        KubeletClient kubelet, string kubeletDirectory, string reference, int pods, int wave, TimeSpan idle, int pid)
    {
        var volume = new Dictionary<string, string> { [VolumeContextKeys.Reference] = reference };
        var lines = new List<(string Name, string Value)>
        {
            (nameof(pods), Format(pods)),
            (nameof(wave), Format(wave)),
            ("idle_s", Format((int)idle.TotalSeconds)),
        };

        var warmup = TestPod.Create("soak-warmup");
        await kubelet.PublishAsync(warmup, volume);
        await kubelet.UnpublishAsync(warmup);
        RemovePodDirectory(kubeletDirectory, warmup);
        await Task.Delay(TimeSpan.FromSeconds(2));
        lines.AddRange(Sample(pid, kubeletDirectory).Lines("before"));

        var waves = (pods + wave - 1) / wave;
        for (var w = 0; w < waves; w++)
        {
            var batch = Enumerable.Range(w * wave, Math.Min(wave, pods - (w * wave))).Select(i => TestPod.Create($"soak-{i}")).ToList();
            var latency = new LatencySample();
            var durations = await Task.WhenAll(batch.Select(async pod =>
            {
                var started = Stopwatch.GetTimestamp();
                await kubelet.PublishAsync(pod, volume);
                return Stopwatch.GetElapsedTime(started);
            }));
            foreach (var duration in durations)
            {
                latency.Add(duration);
            }

            var peak = MountsUnder(kubeletDirectory);
            if (peak != batch.Count)
            {
                throw new InvalidOperationException($"wave {w + 1}: {batch.Count} publishes answered OK but {peak} targets are mounted");
            }

            await Task.WhenAll(batch.Select(kubelet.UnpublishAsync));
            foreach (var pod in batch)
            {
                RemovePodDirectory(kubeletDirectory, pod);
            }

            var name = $"wave_{w + 1}";
            lines.Add(($"{name}_peak_mounts", Format(peak)));
            lines.AddRange(latency.Summary($"{name}_publish"));
            lines.AddRange(Sample(pid, kubeletDirectory).Lines(name));
        }

        await Task.Delay(idle);
        lines.Add(("waves", Format(waves)));
        lines.AddRange(Sample(pid, kubeletDirectory).Lines("idle"));
        return lines;
    }

    /// <summary>Kubelet removes a pod's directories once its volumes are unpublished.</summary>
    private static void RemovePodDirectory(string kubeletDirectory, TestPod pod) =>
        Directory.Delete(Path.Combine(kubeletDirectory, "pods", pod.Uid), recursive: true);

    private static ProcessSample Sample(int pid, string kubeletDirectory)
    {
        long rss = -1;
        var threads = -1;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var fields = line.Split((char[])[' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["VmRSS", var kib, ..])
            {
                rss = long.Parse(kib, CultureInfo.InvariantCulture);
            }
            else if (fields is ["Threads", var count, ..])
            {
                threads = int.Parse(count, CultureInfo.InvariantCulture);
            }
        }

        return new ProcessSample(rss, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length, threads, MountsUnder(kubeletDirectory));
    }

    /// <summary>Lines of this process's mount table whose mount point is below <paramref name="directory"/>.</summary>
    private static int MountsUnder(string directory)
    {
        var prefix = directory.TrimEnd('/') + "/";
        return File.ReadLines(MountInfo.SelfPath)
            .Count(line => line.Split(' ') is { Length: > 4 } fields && MountInfo.Unescape(fields[4]).StartsWith(prefix, StringComparison.Ordinal));
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record ProcessSample(long RssKib, int Fds, int Threads, int Mounts)
    {
        public IEnumerable<(string Name, string Value)> Lines(string name) =>
        [
            ($"{name}_rss_kib", Format(RssKib)),
            ($"{name}_fds", Format(Fds)),
            ($"{name}_threads", Format(Threads)),
            ($"{name}_mounts", Format(Mounts)),
        ];
    }
}
