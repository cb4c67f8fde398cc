using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

using OrasAssemble.Tests.TestSupport;
using static OrasAssemble.CsiNode.Tests.Deploy.Kustomized;

namespace OrasAssemble.CsiNode.Tests.Deploy;

/// <summary>
/// Renders deploy/csi with <c>kubectl kustomize</c> and checks what makes the driver work on a node: kubelet, the
/// registrar, the liveness probe and the plugin agree on the socket; the plugin's mounts reach pods; the driver
/// serves ephemeral volumes under the name pods use; the node config it is given is valid.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly Lazy<IReadOnlyList<YamlMappingNode>> Rendered = new(() => Render(RepositoryFiles.PathOf("deploy", "csi")));

    /// <summary>deploy/csi with the pod-pull-secrets component, as an overlay a user would write renders it.</summary>
    private static readonly Lazy<IReadOnlyList<YamlMappingNode>> WithPodPullSecrets = new(RenderWithPodPullSecrets);

    private static YamlMappingNode Object(string kind) => Rendered.Value.Single(d => Scalar(d, "kind") == kind);

    private static YamlMappingNode DaemonSetPod => Map(Object("DaemonSet"), "spec", "template", "spec");

    private static YamlMappingNode Container(string name) =>
        Seq(DaemonSetPod, "containers").Cast<YamlMappingNode>().Single(c => Scalar(c, "name") == name);

    private static IReadOnlyList<string> Args(string container) => [.. Seq(Container(container), "args").Select(a => ((YamlScalarNode)a).Value!)];

    private static string Arg(string container, string flag) =>
        Args(container).Single(a => a.StartsWith(flag + "=", StringComparison.Ordinal))[(flag.Length + 1)..];

    private static string MountPath(string container, string volume) =>
        Scalar(Seq(Container(container), "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == volume), "mountPath");

    private static YamlMappingNode Volume(string name) =>
        Seq(DaemonSetPod, "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == name);

    private static string HostPath(string volume) => Scalar(Map(Volume(volume), "hostPath"), "path");

    /// <summary>Which pod volume is mounted at the directory holding <paramref name="path"/> in a container.</summary>
    private static string VolumeHolding(string container, string path) =>
        Scalar(Seq(Container(container), "volumeMounts").Cast<YamlMappingNode>()
            .Where(m => path.StartsWith(Scalar(m, "mountPath").TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => Scalar(m, "mountPath").Length)
            .First(), "name");

    [Fact]
    public void The_CSIDriver_serves_ephemeral_volumes_with_pod_info_and_no_attach_under_the_plugins_name()
    {
        var driver = Object("CSIDriver");
        var spec = Map(driver, "spec");

        Assert.Equal("csi.oras.land", Scalar(Map(driver, "metadata"), "name"));
        Assert.Equal(["Ephemeral"], Seq(spec, "volumeLifecycleModes").Select(m => ((YamlScalarNode)m).Value));
        Assert.Equal("true", Scalar(spec, "podInfoOnMount"));
        Assert.Equal("false", Scalar(spec, "attachRequired"));
        Assert.Equal(Scalar(Map(driver, "metadata"), "name"), Arg("oras-assemble-csi", "--driver-name"));
    }

    [Fact]
    public void The_plugin_registrar_and_liveness_probe_agree_on_one_socket_that_kubelet_finds()
    {
        var endpoint = Arg("oras-assemble-csi", "--endpoint");
        Assert.StartsWith("unix://", endpoint, StringComparison.Ordinal);
        var socket = endpoint["unix://".Length..];
        var socketDirectory = Path.GetDirectoryName(socket)!;
        var pluginVolume = VolumeHolding("oras-assemble-csi", socket);

        Assert.Equal(socket, Arg("node-driver-registrar", "--csi-address"));
        Assert.Equal(socket, Arg("liveness-probe", "--csi-address"));
        Assert.Equal(pluginVolume, VolumeHolding("node-driver-registrar", socket));
        Assert.Equal(pluginVolume, VolumeHolding("liveness-probe", socket));
        Assert.Equal(socketDirectory, MountPath("oras-assemble-csi", pluginVolume));

        // kubelet dials the socket on the host: the registrar must tell it the host path of the same file.
        var hostSocket = Path.Combine(HostPath(pluginVolume), Path.GetRelativePath(socketDirectory, socket));
        Assert.Equal(hostSocket, Arg("node-driver-registrar", "--kubelet-registration-path"));
        Assert.Equal("/var/lib/kubelet/plugins/csi.oras.land", HostPath(pluginVolume));
        Assert.Equal("/var/lib/kubelet/plugins_registry", HostPath(Scalar(Seq(Container("node-driver-registrar"), "volumeMounts").Cast<YamlMappingNode>()
            .Single(m => Scalar(m, "mountPath") == "/registration"), "name")));
    }

    [Fact]
    public void The_plugins_mounts_reach_the_pods_through_bidirectional_propagation_of_the_kubelet_pods_directory()
    {
        var mount = Seq(Container("oras-assemble-csi"), "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "mountPath") == "/var/lib/kubelet/pods");

        Assert.Equal("Bidirectional", Scalar(mount, "mountPropagation"));
        Assert.Equal("/var/lib/kubelet/pods", HostPath(Scalar(mount, "name")));
        Assert.Equal("true", Scalar(Map(Container("oras-assemble-csi"), "securityContext"), "privileged"));
    }

    [Fact]
    public void The_cache_is_a_host_path_at_the_plugins_root_and_the_config_it_reads_is_valid()
    {
        var root = Arg("oras-assemble-csi", "--root");
        Assert.Equal(root, MountPath("oras-assemble-csi", "cache"));
        Assert.StartsWith("/", HostPath("cache"), StringComparison.Ordinal);

        var configPath = Arg("oras-assemble-csi", "--config");
        var configVolume = VolumeHolding("oras-assemble-csi", configPath);
        var configMapName = Scalar(Map(Volume(configVolume), "configMap"), "name");
        var configMap = Rendered.Value.Single(d => Scalar(d, "kind") == "ConfigMap" && Scalar(Map(d, "metadata"), "name") == configMapName);
        var yaml = Scalar(Map(configMap, "data"), Path.GetFileName(configPath));

        var config = NodeConfigParser.Parse(yaml, "deploy/csi/node-config.yaml");

        Assert.True(config.Tenancy.Enforce);
        Assert.True(config.Cache.Budget > 0);
    }

    [Fact]
    public void Metrics_and_the_liveness_endpoint_use_different_ports_and_the_probe_checks_the_latter()
    {
        var metricsPort = Arg("oras-assemble-csi", "--metrics-addr").Split(':')[^1];
        var healthPort = Arg("liveness-probe", "--health-port");
        var ports = Seq(Container("oras-assemble-csi"), "ports").Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name"), p => Scalar(p, "containerPort"));

        Assert.NotEqual(metricsPort, healthPort);
        Assert.Equal(metricsPort, ports["metrics"]);
        Assert.Equal(healthPort, ports["healthz"]);
        Assert.Equal("healthz", Scalar(Map(Map(Container("oras-assemble-csi"), "livenessProbe"), "httpGet"), "port"));
    }

    [Fact]
    public void The_pod_runs_as_its_own_service_account_with_the_node_name_as_node_id()
    {
        var account = Object("ServiceAccount");

        Assert.Equal(Scalar(Map(account, "metadata"), "name"), Scalar(DaemonSetPod, "serviceAccountName"));
        Assert.Equal("$(NODE_NAME)", Arg("oras-assemble-csi", "--node-id"));
        var env = Seq(Container("oras-assemble-csi"), "env").Cast<YamlMappingNode>().Single(e => Scalar(e, "name") == "NODE_NAME");
        Assert.Equal("spec.nodeName", Scalar(Map(Map(env, "valueFrom"), "fieldRef"), "fieldPath"));
        Assert.All(Rendered.Value.Where(d => Scalar(d, "kind") is not ("CSIDriver" or "Namespace")),
            d => Assert.Equal("oras-assemble", Scalar(Map(d, "metadata"), "namespace")));
    }

    [Fact]
    public void The_plugin_runs_the_image_build_images_tags_and_the_sidecars_run_released_kubernetes_csi_versions()
    {
        Assert.Equal("oras-assemble-csi:dev", Scalar(Container("oras-assemble-csi"), "image"));
        Assert.Equal("registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.12.0", Scalar(Container("node-driver-registrar"), "image"));
        Assert.Equal("registry.k8s.io/sig-storage/livenessprobe:v2.14.0", Scalar(Container("liveness-probe"), "image"));
        Assert.Contains("tag=dev", File.ReadAllText(RepositoryFiles.PathOf("scripts", "build-images.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_pod_pull_secrets_component_the_plugin_has_no_API_rights_no_token_and_the_opt_in_is_off()
    {
        Assert.DoesNotContain(Rendered.Value, d => Scalar(d, "kind") is "ClusterRole" or "ClusterRoleBinding" or "Role" or "RoleBinding");
        Assert.Equal("false", Scalar(Object("ServiceAccount"), "automountServiceAccountToken"));
        Assert.False(NodeConfigOf(Rendered.Value).Credentials.PodPullSecrets);
    }

    [Fact]
    public void The_pod_pull_secrets_component_grants_get_on_pods_service_accounts_and_secrets_to_the_plugin_with_a_token_and_turns_the_opt_in_on()
    {
        var rendered = WithPodPullSecrets.Value;
        var role = rendered.Single(d => Scalar(d, "kind") == "ClusterRole");
        var binding = rendered.Single(d => Scalar(d, "kind") == "ClusterRoleBinding");
        var account = rendered.Single(d => Scalar(d, "kind") == "ServiceAccount");
        var pod = Map(rendered.Single(d => Scalar(d, "kind") == "DaemonSet"), "spec", "template", "spec");

        var rule = Assert.Single(Seq(role, "rules").Cast<YamlMappingNode>());
        Assert.Equal([""], Strings(rule, "apiGroups"));
        Assert.Equal(["pods", "secrets", "serviceaccounts"], Strings(rule, "resources").Order(StringComparer.Ordinal));
        Assert.Equal(["get"], Strings(rule, "verbs"));
        Assert.Equal(Scalar(Map(role, "metadata"), "name"), Scalar(Map(binding, "roleRef"), "name"));
        Assert.Equal("ClusterRole", Scalar(Map(binding, "roleRef"), "kind"));
        var subject = Assert.Single(Seq(binding, "subjects").Cast<YamlMappingNode>());
        Assert.Equal("ServiceAccount", Scalar(subject, "kind"));
        Assert.Equal(Scalar(pod, "serviceAccountName"), Scalar(subject, "name"));
        Assert.Equal(Scalar(Map(account, "metadata"), "namespace"), Scalar(subject, "namespace"));
        Assert.Equal("true", Scalar(account, "automountServiceAccountToken"));

        // The opt-in is on, and the rest of the shipped config is what the base ships.
        var config = NodeConfigOf(rendered);
        var baseConfig = NodeConfigOf(Rendered.Value);
        Assert.True(config.Credentials.PodPullSecrets);
        Assert.Equal(baseConfig.Cache, config.Cache);
        Assert.Equal(baseConfig.Tenancy, config.Tenancy);
        Assert.Equal(baseConfig.Limits.Concurrency, config.Limits.Concurrency);
        Assert.Equal(
            File.ReadAllText(RepositoryFiles.PathOf("deploy", "csi", "node-config.yaml")).Split('\n').Skip(1),
            File.ReadAllText(RepositoryFiles.PathOf("deploy", "csi", "components", "pod-pull-secrets", "node-config.yaml")).Split('\n').Skip(1).TakeWhile(l => l != "credentials:"));
    }

    /// <summary>The node config the rendered DaemonSet's plugin reads, through its --config and the ConfigMap volume.</summary>
    private static NodeConfig NodeConfigOf(IReadOnlyList<YamlMappingNode> rendered)
    {
        var pod = Map(rendered.Single(d => Scalar(d, "kind") == "DaemonSet"), "spec", "template", "spec");
        var plugin = Seq(pod, "containers").Cast<YamlMappingNode>().Single(c => Scalar(c, "name") == "oras-assemble-csi");
        var configPath = Seq(plugin, "args").Select(a => ((YamlScalarNode)a).Value!).Single(a => a.StartsWith("--config=", StringComparison.Ordinal))["--config=".Length..];
        var mount = Seq(plugin, "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "mountPath") == Path.GetDirectoryName(configPath));
        var volume = Seq(pod, "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == Scalar(mount, "name"));
        var configMapName = Scalar(Map(volume, "configMap"), "name");
        var configMap = rendered.Single(d => Scalar(d, "kind") == "ConfigMap" && Scalar(Map(d, "metadata"), "name") == configMapName);
        return NodeConfigParser.Parse(Scalar(Map(configMap, "data"), Path.GetFileName(configPath)), "rendered node config");
    }

    private static List<YamlMappingNode> RenderWithPodPullSecrets()
    {
        using var overlay = new TempDirectory();
        var csi = RepositoryFiles.PathOf("deploy", "csi");

        // kustomize takes only relative paths to other directories.
        File.WriteAllText(overlay.Combine("kustomization.yaml"), $"""
            resources:
              - {Path.GetRelativePath(overlay.Path, csi)}
            components:
              - {Path.GetRelativePath(overlay.Path, Path.Combine(csi, "components", "pod-pull-secrets"))}
            """);
        return Render(overlay.Path);
    }

    private static IEnumerable<string> Strings(YamlMappingNode node, string key) => Seq(node, key).Select(n => ((YamlScalarNode)n).Value ?? "");
}
