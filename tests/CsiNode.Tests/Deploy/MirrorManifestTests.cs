using System.Globalization;
using System.Text.RegularExpressions;
using OrasAssemble.CsiNode.Configuration;
using OrasAssemble.CsiNode.Tests.TestSupport;
using OrasAssemble.Tests.TestSupport;
using YamlDotNet.RepresentationModel;
using static OrasAssemble.CsiNode.Tests.Deploy.Kustomized;

namespace OrasAssemble.CsiNode.Tests.Deploy;

/// <summary>
/// Renders deploy/mirror (alone, with its emptyDir component, and with the node plugin in deploy/mirror/csi) with
/// <c>kubectl kustomize</c> and checks what makes it a working mirror for the nodes: nginx gets every variable its
/// template uses, the cache lands on the volume the template names, the Service reaches it, only the node plugins may,
/// and the node config lists it for the registry it mirrors with a timeout the mirror's lock waits fit in.
/// </summary>
public sealed partial class MirrorManifestTests
{
    private static readonly Lazy<IReadOnlyList<YamlMappingNode>> Mirror = new(() => Render(RepositoryFiles.PathOf("deploy", "mirror")));
    private static readonly Lazy<IReadOnlyList<YamlMappingNode>> WithNodes = new(() => Render(RepositoryFiles.PathOf("deploy", "mirror", "csi")));

    [Fact]
    public void Nginx_gets_every_variable_its_template_uses_from_the_settings_and_the_upstream_secret()
    {
        var container = Container(Mirror.Value);
        var settings = Settings(Mirror.Value);
        var env = Seq(container, "env").Cast<YamlMappingNode>().ToList();
        var secretRef = Map(env.Single(e => Scalar(e, "name") == "MIRROR_UPSTREAM_AUTHORIZATION"), "valueFrom", "secretKeyRef");

        Assert.Equal(NginxMirror.TemplateVariables().Order(StringComparer.Ordinal),
            settings.Keys.Concat(env.Select(e => Scalar(e, "name"))).Order(StringComparer.Ordinal));
        Assert.Equal("oras-assemble-mirror-upstream", Scalar(secretRef, "name"));
        Assert.Equal("true", Scalar(secretRef, "optional"));
        Assert.StartsWith("oras-assemble-mirror-settings", SettingsName(Mirror.Value), StringComparison.Ordinal);

        // The nginx image fills conf.d from templates/*.template at start; conf.d must be writable and hold nothing else.
        Assert.StartsWith("docker.io/library/nginx:", Scalar(container, "image"), StringComparison.Ordinal);
        var templates = Volume(Mirror.Value, VolumeMountedAt(container, "/etc/nginx/templates"));
        var template = ConfigMap(Mirror.Value, Scalar(Map(templates, "configMap"), "name"));
        Assert.Equal(File.ReadAllText(NginxMirror.TemplatePath), Scalar(Map(template, "data"), "mirror.conf.template"));
        Assert.True(Volume(Mirror.Value, VolumeMountedAt(container, "/etc/nginx/conf.d")).Children.ContainsKey(new YamlScalarNode("emptyDir")));
    }

    [Fact]
    public void The_cache_directory_is_the_claimed_volume_and_larger_than_the_cache_may_grow()
    {
        var settings = Settings(Mirror.Value);
        var container = Container(Mirror.Value);
        var cache = Volume(Mirror.Value, VolumeMountedAt(container, settings["MIRROR_CACHE_DIR"]));
        var claim = Rendered(Mirror.Value, "PersistentVolumeClaim", Scalar(Map(cache, "persistentVolumeClaim"), "claimName"));

        Assert.Equal(settings["MIRROR_CACHE_DIR"], MountPathOf(container, Scalar(cache, "name")));
        Assert.True(Bytes(Scalar(Map(claim, "spec", "resources", "requests"), "storage")) > NginxBytes(settings["MIRROR_CACHE_MAX_SIZE"]));
        Assert.Equal("1", Scalar(Map(Deployment(Mirror.Value), "spec"), "replicas"));
        Assert.Equal("Recreate", Scalar(Map(Deployment(Mirror.Value), "spec", "strategy"), "type"));
    }

    [Fact]
    public void With_the_emptydir_component_the_cache_is_an_emptydir_larger_than_the_cache_may_grow_and_no_claim_is_made()
    {
        using var overlay = new TempDirectory();
        var mirror = Path.GetRelativePath(overlay.Path, RepositoryFiles.PathOf("deploy", "mirror"));
        File.WriteAllText(overlay.Combine("kustomization.yaml"), $"""
            resources: ["{mirror}"]
            components: ["{Path.Combine(mirror, "components", "emptydir")}"]
            """);
        var rendered = Render(overlay.Path);
        var settings = Settings(rendered);
        var cache = Volume(rendered, VolumeMountedAt(Container(rendered), settings["MIRROR_CACHE_DIR"]));

        Assert.DoesNotContain(rendered, d => Scalar(d, "kind") == "PersistentVolumeClaim");
        Assert.False(cache.Children.ContainsKey(new YamlScalarNode("persistentVolumeClaim")));
        Assert.True(Bytes(Scalar(Map(cache, "emptyDir"), "sizeLimit")) > NginxBytes(settings["MIRROR_CACHE_MAX_SIZE"]));
    }

    [Fact]
    public void The_service_reaches_nginx_on_the_port_it_listens_on_and_only_node_plugin_pods_may_connect()
    {
        var settings = Settings(WithNodes.Value);
        var container = Container(WithNodes.Value);
        var port = Seq(container, "ports").Cast<YamlMappingNode>().Single();
        var service = Rendered(WithNodes.Value, "Service", "oras-assemble-mirror");
        var servicePort = Seq(Map(service, "spec"), "ports").Cast<YamlMappingNode>().Single();
        var podLabels = Map(Deployment(WithNodes.Value), "spec", "template", "metadata", "labels");
        var policy = Map(Rendered(WithNodes.Value, "NetworkPolicy", "oras-assemble-mirror"), "spec");
        var nodeLabels = Map(Rendered(WithNodes.Value, "DaemonSet", "oras-assemble-csi-node"), "spec", "template", "metadata", "labels");
        var from = Seq(Seq(policy, "ingress").Cast<YamlMappingNode>().Single(), "from").Cast<YamlMappingNode>().Single();

        Assert.Equal(settings["MIRROR_LISTEN"], Scalar(port, "containerPort"));
        Assert.Equal(Scalar(port, "name"), Scalar(servicePort, "targetPort"));
        Assert.All(Map(Map(service, "spec"), "selector").Children, l => Assert.Equal(l.Value, podLabels.Children[l.Key]));
        Assert.All(Map(policy, "podSelector", "matchLabels").Children, l => Assert.Equal(l.Value, podLabels.Children[l.Key]));
        Assert.Equal(["Ingress"], Seq(policy, "policyTypes").Select(t => ((YamlScalarNode)t).Value));
        Assert.All(Map(from, "podSelector", "matchLabels").Children, l => Assert.Equal(l.Value, nodeLabels.Children[l.Key]));
        Assert.All(WithNodes.Value.Where(d => Scalar(d, "kind") is not ("CSIDriver" or "Namespace")),
            d => Assert.Equal("oras-assemble", Scalar(Map(d, "metadata"), "namespace")));
    }

    [Fact]
    public void The_node_config_sends_the_upstreams_reads_by_digest_to_the_service_and_waits_longer_than_the_mirrors_lock()
    {
        var settings = Settings(WithNodes.Value);
        var daemonSet = Map(Rendered(WithNodes.Value, "DaemonSet", "oras-assemble-csi-node"), "spec", "template", "spec");
        var configName = Scalar(Map(Seq(daemonSet, "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == "config"), "configMap"), "name");
        var yaml = Scalar(Map(ConfigMap(WithNodes.Value, configName), "data"), "config.yaml");
        var config = NodeConfigParser.Parse(yaml, "deploy/mirror/csi/node-config.yaml");
        var service = Rendered(WithNodes.Value, "Service", "oras-assemble-mirror");
        var serviceHost = $"{Scalar(Map(service, "metadata"), "name")}.{Scalar(Map(service, "metadata"), "namespace")}.svc:"
            + Scalar(Seq(Map(service, "spec"), "ports").Cast<YamlMappingNode>().Single(), "port");
        var upstream = new Uri(settings["MIRROR_UPSTREAM"]).Authority;
        var template = File.ReadAllText(NginxMirror.TemplatePath);

        Assert.Equal([serviceHost], config.Registries.For(upstream).Mirrors);
        Assert.True(config.Registries.For(serviceHost).PlainHttp);
        var mirrorTimeout = config.Registries.For(serviceHost).MirrorTimeout;
        Assert.True(mirrorTimeout > NginxDuration(template, "proxy_cache_lock_timeout"), $"mirrorTimeout {mirrorTimeout} is within the mirror's lock timeout");
        Assert.True(mirrorTimeout > NginxDuration(template, "proxy_cache_lock_age"), $"mirrorTimeout {mirrorTimeout} is within the mirror's lock age");

        // Everything but registries: is deploy/csi's own config.
        var baseConfig = Load(File.ReadAllText(RepositoryFiles.PathOf("deploy", "csi", "node-config.yaml")));
        var mirrorConfig = Load(yaml);
        Assert.Equal(baseConfig.Children.Keys.Select(k => k.ToString()), mirrorConfig.Children.Keys.Select(k => k.ToString()));
        Assert.All(baseConfig.Children.Where(p => p.Key.ToString() != "registries"),
            p => Assert.Equal(Dump(p.Value), Dump(mirrorConfig.Children[p.Key])));
    }

    private static YamlMappingNode Deployment(IReadOnlyList<YamlMappingNode> rendered) => Rendered(rendered, "Deployment", "oras-assemble-mirror");

    private static YamlMappingNode Container(IReadOnlyList<YamlMappingNode> rendered) =>
        Seq(Map(Deployment(rendered), "spec", "template", "spec"), "containers").Cast<YamlMappingNode>().Single();

    private static YamlMappingNode Volume(IReadOnlyList<YamlMappingNode> rendered, string name) =>
        Seq(Map(Deployment(rendered), "spec", "template", "spec"), "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == name);

    private static string VolumeMountedAt(YamlMappingNode container, string path) =>
        Scalar(Seq(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "mountPath") == path), "name");

    private static string MountPathOf(YamlMappingNode container, string volume) =>
        Scalar(Seq(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == volume), "mountPath");

    /// <summary>The name of the ConfigMap the container takes its environment from.</summary>
    private static string SettingsName(IReadOnlyList<YamlMappingNode> rendered) =>
        Scalar(Map(Seq(Container(rendered), "envFrom").Cast<YamlMappingNode>().Single(), "configMapRef"), "name");

    /// <summary>That ConfigMap's data.</summary>
    private static Dictionary<string, string> Settings(IReadOnlyList<YamlMappingNode> rendered) =>
        Map(ConfigMap(rendered, SettingsName(rendered)), "data").Children
            .ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);

    private static YamlMappingNode ConfigMap(IReadOnlyList<YamlMappingNode> rendered, string name) => Rendered(rendered, "ConfigMap", name);

    private static YamlMappingNode Rendered(IReadOnlyList<YamlMappingNode> rendered, string kind, string name) =>
        rendered.Single(d => Scalar(d, "kind") == kind && Scalar(Map(d, "metadata"), "name") == name);

    /// <summary>A Kubernetes quantity such as <c>100Gi</c> or <c>50G</c>, in bytes.</summary>
    private static double Bytes(string quantity)
    {
        var match = Quantity().Match(quantity);
        Assert.True(match.Success, $"not a quantity: {quantity}");
        var unit = match.Groups[2].Value;
        var scale = unit.EndsWith('i') ? 1024d : 1000d;
        var power = unit.Length == 0 ? 0 : "KMGTP".IndexOf(char.ToUpperInvariant(unit[0]), StringComparison.Ordinal) + 1;
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * Math.Pow(scale, power);
    }

    /// <summary>An nginx size such as <c>90g</c> (k, m, g are powers of 1024).</summary>
    private static double NginxBytes(string size)
    {
        var unit = char.ToLowerInvariant(size[^1]);
        var power = "kmg".IndexOf(unit, StringComparison.Ordinal) + 1;
        var digits = power == 0 ? size : size[..^1];
        return double.Parse(digits, CultureInfo.InvariantCulture) * Math.Pow(1024, power);
    }

    /// <summary>The value of a directive in the template written as <c>&lt;n&gt;m</c> or <c>&lt;n&gt;s</c>, exactly once.</summary>
    private static TimeSpan NginxDuration(string template, string directive)
    {
        var matches = Regex.Matches(template, $@"^\s*{directive}\s+(\d+)([ms]);", RegexOptions.Multiline);
        Assert.True(matches.Count == 1, $"{directive} is set {matches.Count} times in the template");
        var value = int.Parse(matches[0].Groups[1].Value, CultureInfo.InvariantCulture);
        return matches[0].Groups[2].Value == "m" ? TimeSpan.FromMinutes(value) : TimeSpan.FromSeconds(value);
    }

    private static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Dump(YamlNode node)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    [GeneratedRegex("^([0-9.]+)([KMGTP]i?|[kMGTP])?$")]
    private static partial Regex Quantity();
}
