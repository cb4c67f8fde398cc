using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using OrasAssemble.Content;
using OrasAssemble.CsiNode.Csi;
using OrasAssemble.CsiNode.Publishing;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Outputs;

/// <summary>What the output volume tests do to a plugin and a registry: publish writable, wait for pushes, read what was pushed.</summary>
internal static class OutputVolumeDriver
{
    /// <summary>Generous for a loaded machine, and bounded.</summary>
    /// <summary>The oras-assemble binary of this build (tests/CliPath.targets records where it is).</summary>
    public static readonly string OrasAssembleCli = typeof(OutputVolumeDriver).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OrasAssembleCliPath").Value
        ?? throw new InvalidOperationException("the build did not record where oras-assemble.dll is");

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static Dictionary<string, string> Output(string reference, string? annotations = null)
    {
        var attributes = new Dictionary<string, string> { [VolumeContextKeys.OutputReference] = reference };
        if (annotations is not null)
        {
            attributes[VolumeContextKeys.OutputAnnotations] = annotations;
        }

        return attributes;
    }

    /// <summary>Publishes as kubelet does for a pod volume with <c>readOnly: false</c>; returns the target.</summary>
    public static async Task<string> PublishWritableAsync(
        this KubeletClient kubelet, TestPod pod, IReadOnlyDictionary<string, string> attributes, IReadOnlyDictionary<string, string>? secrets = null)
    {
        var request = kubelet.PublishRequest(pod, attributes, secrets);
        request.Readonly = false;
        await kubelet.PublishAsync(request);
        return request.TargetPath;
    }

    public static string Outbox(this PluginUnderTest plugin) => Path.Combine(plugin.Root, "node", "outputs", "outbox");

    public static IReadOnlyList<string> OutboxEntries(this PluginUnderTest plugin) =>
        Directory.Exists(plugin.Outbox()) ? Directory.GetDirectories(plugin.Outbox()) : [];

    public static async Task<PrometheusText> MetricsAsync(this PluginUnderTest plugin)
    {
        using var http = new HttpClient();
        return PrometheusText.Parse(await http.GetStringAsync(plugin.Host.MetricsUri));
    }

    public static async Task<double> FailedAsync(this PluginUnderTest plugin, string reason) =>
        (await plugin.MetricsAsync()).Value("oras_assemble_csi_outputs_failed_total", ("reason", reason));

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the registry has the tag; returns the manifest it holds.</summary>
    public static async Task<(Manifest Manifest, Descriptor Descriptor)> WaitForManifestAsync(RegistryClient client, string reference)
    {
        var parsed = Registry.Reference.Parse(reference);
        var repository = client.GetRepository(parsed);
        Descriptor? descriptor = null;
        await WaitForAsync(async () =>
        {
            try
            {
                descriptor = await repository.ResolveAsync(parsed.Tag!);
                return true;
            }
            catch (Exception e) when (Failures.Failure.KindOf(e) == Failures.FailureKind.NotFound)
            {
                return false;
            }
        }, $"{reference} to be pushed");
        var bytes = await repository.FetchAllAsync(descriptor!, 4 << 20);
        return (OciJson.Deserialize<Manifest>(bytes, reference), descriptor!);
    }

    /// <summary>The entries of a folder layer's tar, by name, with their data.</summary>
    public static async Task<Dictionary<string, TarEntry>> TarEntriesAsync(RegistryClient client, string reference, Descriptor layer)
    {
        var repository = client.GetRepository(Registry.Reference.Parse(reference));
        var bytes = await repository.FetchAllAsync(layer, 64 << 20);
        var entries = new Dictionary<string, TarEntry>(StringComparer.Ordinal);
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            entries[entry.Name] = entry;
        }

        return entries;
    }
}
