using OrasAssemble.CsiBench;
using OrasAssemble.CsiNode.Tests.TestSupport;

// Talks to a running oras-assemble-csi over its socket as kubelet does and prints "name value" lines for
// bench/csi-publish.sh and bench/csi-soak.sh. Every mount it makes under the kubelet directory is gone when it exits.
//
//   OrasAssemble.CsiBench warm   <socket> <kubelet dir> <reference> <publishes> <bare bind source dir> <metrics URL> <registry access log>
//   OrasAssemble.CsiBench fanout <socket> <kubelet dir> <reference> <pods>
//   OrasAssemble.CsiBench soak   <socket> <kubelet dir> <reference> <pods> <wave> <idle seconds> <plugin pid> [<metrics URL>]
if (args.Length < 5 || args[0] is not ("warm" or "fanout" or "soak") || (args[0] is "warm" or "soak" && args.Length < 8))
{
    await Console.Error.WriteLineAsync(
        "usage: OrasAssemble.CsiBench warm|fanout|soak <socket> <kubelet dir> <reference> <count> [<bare bind source dir> <metrics URL> <registry access log> | <wave> <idle seconds> <plugin pid> [<metrics URL>]]");
    return 2;
}

var kubeletDirectory = Path.GetFullPath(args[2]);
var count = Number(args[4]);

// Kubelet opens a new connection for every call; the soak does too, so a connection the plugin fails to let go shows.
using var grpc = new GrpcSocketClient(args[1], connectionPerCall: args[0] == "soak");
var kubelet = new KubeletClient(grpc, kubeletDirectory);
try
{
    var lines = args[0] switch
    {
        "warm" => await PublishLatencyBench.RunAsync(kubelet, args[3], count, Path.GetFullPath(args[5]), Path.Combine(kubeletDirectory, "bare"),
            new Uri(args[6]), args[7]),
        "soak" => await SoakBench.RunAsync(kubelet, kubeletDirectory, args[3], count, Number(args[5]), TimeSpan.FromSeconds(Number(args[6])), Number(args[7]),
            args.Length > 8 ? new Uri(args[8]) : null),
        _ => await FanOutBench.RunAsync(kubelet, args[3], count),
    };
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

static int Number(string text) => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
