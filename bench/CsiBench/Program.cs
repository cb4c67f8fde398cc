using OrasAssemble.CsiBench;
using OrasAssemble.CsiNode.Tests.TestSupport;

// Talks to a running oras-assemble-csi over its socket as kubelet does and prints "name value" lines for
// bench/csi-publish.sh. Every mount it makes under the kubelet directory is gone when it exits.
//
//   OrasAssemble.CsiBench warm   <socket> <kubelet dir> <reference> <publishes> <bare bind source dir> <metrics URL> <registry access log>
//   OrasAssemble.CsiBench fanout <socket> <kubelet dir> <reference> <pods>
if (args.Length < 5 || args[0] is not ("warm" or "fanout") || (args[0] == "warm" && args.Length < 8))
{
    await Console.Error.WriteLineAsync("usage: OrasAssemble.CsiBench warm|fanout <socket> <kubelet dir> <reference> <count> [<bare bind source dir> <metrics URL> <registry access log>]");
    return 2;
}

var kubeletDirectory = Path.GetFullPath(args[2]);
var count = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
using var grpc = new GrpcSocketClient(args[1]);
var kubelet = new KubeletClient(grpc, kubeletDirectory);
try
{
    var lines = args[0] == "warm"
        ? await PublishLatencyBench.RunAsync(kubelet, args[3], count, Path.GetFullPath(args[5]), Path.Combine(kubeletDirectory, "bare"),
            new Uri(args[6]), args[7])
        : await FanOutBench.RunAsync(kubelet, args[3], count);
    foreach (var (name, value) in lines)
    {
        Console.WriteLine($"{name} {value}");
    }

    return 0;
}
catch (Exception e) when (e is GrpcCallException or IOException or InvalidOperationException or HttpRequestException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 1;
}
finally
{
    MountTable.UnmountAllUnder(kubeletDirectory);
}
