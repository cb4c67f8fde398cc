using System.CommandLine;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Transport;
using OrasAssemble.Settings;
using OrasAssemble.Text;

namespace OrasAssemble.CsiNode.Hosting;

/// <summary>The plugin's flags, read into <see cref="NodeOptions"/> and checked before anything starts.</summary>
internal sealed class NodeCommandLine
{
    private readonly Option<string> _endpoint = new("--endpoint")
    {
        Description = "CSI endpoint: the unix socket kubelet and the sidecars call",
        DefaultValueFactory = _ => "unix:///csi/csi.sock",
    };

    private readonly Option<string?> _nodeId = new("--node-id")
    {
        Description = "This node's id as reported to Kubernetes (default: $NODE_NAME)",
    };

    private readonly Option<string> _root = new("--root")
    {
        Description = "Cache directory: blobs, assembled trees and the plugin's publish records",
        DefaultValueFactory = _ => "/var/lib/oras-assemble",
    };

    private readonly Option<string> _driverName = new("--driver-name")
    {
        Description = "CSI driver name; pods name it in csi.driver",
        DefaultValueFactory = _ => NodeOptions.DefaultDriverName,
    };

    private readonly Option<string> _metricsAddress = new("--metrics-addr")
    {
        Description = "host:port serving Prometheus /metrics; empty for none",
        DefaultValueFactory = _ => "127.0.0.1:9808",
    };

    private readonly Option<string?> _config = new("--config")
    {
        Description = "Node config (YAML): registries, cache budget, limits, tenancy and namespace allow-lists; see docs/csi-node.md",
        HelpName = "file.yaml",
    };

    private readonly Option<string?> _registryConfig = new("--registry-config")
    {
        Description = "Docker config.json with credentials any volume may use when its own secret has none for a registry",
        HelpName = "config.json",
    };

    private readonly Option<string?> _apiServer = new("--api-server")
    {
        Description = "API server URL for credentials.podPullSecrets, when the plugin does not run in the cluster (default: in-cluster config)",
        HelpName = "url",
    };

    private readonly Option<string?> _apiTokenFile = new("--api-token-file")
    {
        Description = "File holding the bearer token for --api-server",
        HelpName = "file",
    };

    public RootCommand Command
    {
        get
        {
            var root = new RootCommand("oras-assemble-csi: the OrasAssemble CSI node plugin, serving ephemeral inline volumes assembled from OCI artifacts.");
            foreach (var option in new Option[] { _endpoint, _nodeId, _root, _driverName, _metricsAddress, _config, _registryConfig, _apiServer, _apiTokenFile })
            {
                root.Options.Add(option);
            }

            return root;
        }
    }

    /// <exception cref="HostSettingsException">The config file is missing or wrong.</exception>
    /// <exception cref="ArgumentException">A flag is wrong; the message lists every problem.</exception>
    public async Task<NodeOptions> ReadAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        UnixSocketEndpoint? endpoint = null;
        try
        {
            endpoint = UnixSocketEndpoint.Parse(parse.GetValue(_endpoint)!);
        }
        catch (FormatException e)
        {
            problems.Add("--endpoint: " + e.Message);
        }

        var metricsText = parse.GetValue(_metricsAddress) ?? "";
        var metrics = metricsText.Length == 0 ? null : NodeOptions.ParseMetricsAddress(metricsText);
        if (metricsText.Length > 0 && metrics is null)
        {
            problems.Add($"--metrics-addr {QuotedValue.Of(metricsText)} must be ip:port, e.g. 127.0.0.1:9808");
        }

        Uri? apiServer = null;
        if (parse.GetValue(_apiServer) is { Length: > 0 } apiText
            && (!Uri.TryCreate(apiText, UriKind.Absolute, out apiServer) || apiServer.Scheme is not ("https" or "http")))
        {
            problems.Add($"--api-server {QuotedValue.Of(apiText)} must be an http or https URL, e.g. https://10.0.0.1:6443");
            apiServer = null;
        }

        var config = parse.GetValue(_config) is { } path ? await NodeConfigParser.LoadAsync(path, cancellationToken).ConfigureAwait(false) : NodeConfig.Default;
        var options = new NodeOptions
        {
            Endpoint = endpoint ?? new UnixSocketEndpoint("/"),
            NodeId = parse.GetValue(_nodeId) ?? Environment.GetEnvironmentVariable("NODE_NAME") ?? "",
            Root = parse.GetValue(_root)!,
            DriverName = parse.GetValue(_driverName)!,
            MetricsEndpoint = metrics,
            RegistryConfig = parse.GetValue(_registryConfig),
            ApiServer = apiServer,
            ApiTokenFile = parse.GetValue(_apiTokenFile),
            Config = config,
        };
        problems.AddRange(options.Problems());
        return problems.Count == 0 ? options : throw new ArgumentException(string.Join(Environment.NewLine, problems));
    }
}
