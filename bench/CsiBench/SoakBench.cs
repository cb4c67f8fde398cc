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
/// and after idling, beside each wave's publish latency; with the plugin's metrics URL, also its managed heap as the last
/// GC left it and the count of full (gen2) collections so far, which tell a growing heap from memory the GC keeps.
/// </summary>
internal static class SoakBench
{
    public static async Task<IReadOnlyList<(string Name, string Value)>> RunAsync(
        KubeletClient kubelet, string kubeletDirectory, string reference, int pods, int wave, TimeSpan idle, int pid, Uri? metrics)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
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
        // Scraped first: the scrape's kept-alive connection is then open in every sample alike.
        lines.AddRange(await HeapAsync(http, metrics, "before"));
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
            lines.AddRange(await HeapAsync(http, metrics, name));
            lines.AddRange(Sample(pid, kubeletDirectory).Lines(name));
        }

        await Task.Delay(idle);
        lines.Add(("waves", Format(waves)));
        lines.AddRange(await HeapAsync(http, metrics, "idle"));
        lines.AddRange(Sample(pid, kubeletDirectory).Lines("idle"));
        return lines;
    }

    /// <summary>
    /// The managed heap's size after the last GC (<c>dotnet_gc_last_collection_heap_size_bytes</c>, all generations), the
    /// memory the GC kept committed then, and the gen2 collections so far, from the plugin's metrics; nothing without a
    /// metrics URL.
    /// </summary>
    private static async Task<IEnumerable<(string Name, string Value)>> HeapAsync(HttpClient http, Uri? metrics, string name)
    {
        if (metrics is null)
        {
            return [];
        }

        double heap = 0, gen2 = 0, committed = 0;
        foreach (var line in (await http.GetStringAsync(metrics)).Split('\n'))
        {
            var value = line.LastIndexOf(' ') is var space and > 0 ? line[(space + 1)..] : "";
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            {
                heap += double.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("dotnet_gc_last_collection_memory_committed_size_bytes ", StringComparison.Ordinal))
            {
                committed = double.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("dotnet_gc_collections_total{gc_heap_generation=\"gen2\"}", StringComparison.Ordinal))
            {
                gen2 = double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return [($"{name}_heap_kib", Format((long)(heap / 1024))), ($"{name}_committed_kib", Format((long)(committed / 1024))), ($"{name}_gen2", Format((long)gen2))];
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

        var fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
        var kinds = FdKinds(fds);
        return new ProcessSample(rss, fds.Length, kinds.GetValueOrDefault("code"), threads, MountsUnder(kubeletDirectory),
            string.Join(' ', kinds.Select(k => $"{k.Key}:{k.Value}")));
    }

    /// <summary>What the descriptors are, counted by kind (<c>code:230 file:8 pipe:7 socket:4 anon_inode:[eventpoll]:1</c>), to tell which kind grew.</summary>
    private static SortedDictionary<string, int> FdKinds(IEnumerable<string> fds) =>
        new(fds
            .Select(fd =>
            {
                try
                {
                    // A path, "socket:[inode]", "pipe:[inode]", "anon_inode:[eventpoll]" or "anon_inode:inotify".
                    var target = new FileInfo(fd).LinkTarget ?? "";
                    if (target.StartsWith('/'))
                    {
                        // The runtime holds each assembly it loaded open, and a symbol file once it first formats a stack
                        // trace: more of those is code first used later, not a leak.
                        return target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal) ? "code" : "file";
                    }

                    return target.StartsWith("anon_inode:", StringComparison.Ordinal) ? target : target.Split(':')[0];
                }
                catch (IOException)
                {
                    // Closed between the listing and the read.
                    return "gone";
                }
            })
            .GroupBy(kind => kind, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Lines of this process's mount table whose mount point is below <paramref name="directory"/>.</summary>
    private static int MountsUnder(string directory)
    {
        var prefix = directory.TrimEnd('/') + "/";
        return File.ReadLines(MountInfo.SelfPath)
            .Count(line => line.Split(' ') is { Length: > 4 } fields && MountInfo.Unescape(fields[4]).StartsWith(prefix, StringComparison.Ordinal));
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record ProcessSample(long RssKib, int Fds, int CodeFds, int Threads, int Mounts, string FdKinds)
    {
        public IEnumerable<(string Name, string Value)> Lines(string name) =>
        [
            ($"{name}_rss_kib", Format(RssKib)),
            ($"{name}_fds", Format(Fds)),
            ($"{name}_code_fds", Format(CodeFds)),
            ($"{name}_fd_kinds", FdKinds),
            ($"{name}_threads", Format(Threads)),
            ($"{name}_mounts", Format(Mounts)),
        ];
    }
}
