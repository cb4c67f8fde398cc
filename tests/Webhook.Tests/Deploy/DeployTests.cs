using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using OrasAssemble.Settings;
using OrasAssemble.Tests.TestSupport;
using OrasAssemble.Webhook.Configuration;
using OrasAssemble.Webhook.Hosting;
using OrasAssemble.Webhook.Tests.TestSupport;

namespace OrasAssemble.Webhook.Tests.Deploy;

/// <summary>
/// deploy/webhook as <c>kubectl kustomize</c> renders it: the pieces that must agree do, and the certificate script
/// makes an overlay whose certificate the webhook serves and the API server would trust.
/// </summary>
public sealed class DeployTests : IDisposable
{
    private const string ServiceDns = "oras-assemble-webhook.oras-assemble.svc";

    private readonly TempDirectory temp = new();

    private static string Base => RepositoryRoot.Combine("deploy", "webhook");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task The_webhook_configuration_service_and_deployment_agree()
    {
        var manifests = await RenderedManifests.RenderAsync(Base);
        var configuration = manifests.Single("MutatingWebhookConfiguration");
        var deployment = manifests.Single("Deployment", "oras-assemble-webhook");
        var webhook = Assert.Single(configuration["webhooks"]!.AsArray())!;
        var options = DeploymentOptions(deployment);

        Assert.Equal("admissionregistration.k8s.io/v1", (string?)configuration["apiVersion"]);
        Assert.Equal("None", (string?)webhook["sideEffects"]);
        Assert.Equal(["v1"], Strings(webhook["admissionReviewVersions"]));
        Assert.Equal(options.FailurePolicy.ToString(), (string?)webhook["failurePolicy"]);
        var timeout = int.Parse((string)webhook["timeoutSeconds"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(timeout, 1, 30);
        Assert.True(options.ResolveTimeout < TimeSpan.FromSeconds(timeout), "--resolve-timeout must be shorter than timeoutSeconds");
        var rule = Assert.Single(webhook["rules"]!.AsArray())!;
        Assert.Equal(["CREATE"], Strings(rule["operations"]));
        Assert.Equal(["pods"], Strings(rule["resources"]));
        Assert.Equal([""], Strings(rule["apiGroups"]));

        // API server -> Service -> Deployment: name, namespace, port and path all line up.
        var target = webhook["clientConfig"]!["service"]!;
        Assert.Null(webhook["clientConfig"]!["url"]);
        var service = manifests.Single("Service", (string?)target["name"]);
        Assert.Equal((string?)service["metadata"]!["namespace"], (string?)target["namespace"]);
        Assert.Equal((string?)deployment["metadata"]!["namespace"], (string?)target["namespace"]);
        Assert.Equal(AdmissionEndpoint.Path, (string?)target["path"]);
        var servicePort = Assert.Single(service["spec"]!["ports"]!.AsArray(), p => (string?)p!["port"] == ((string?)target["port"] ?? "443"))!;
        var podSpec = deployment["spec"]!["template"]!["spec"]!;
        var container = Assert.Single(podSpec["containers"]!.AsArray())!;
        var containerPort = Assert.Single(container["ports"]!.AsArray(),
            p => (string?)p!["name"] == (string?)servicePort["targetPort"] || (string?)p["containerPort"] == (string?)servicePort["targetPort"])!;
        Assert.Equal(options.Listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)containerPort["containerPort"]);
        var templateLabels = deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();
        Assert.All(service["spec"]!["selector"]!.AsObject(), l => Assert.Equal((string?)l.Value, (string?)templateLabels[l.Key]));
        Assert.All(deployment["spec"]!["selector"]!["matchLabels"]!.AsObject(), l => Assert.Equal((string?)l.Value, (string?)templateLabels[l.Key]));
        Assert.Equal(WebhookServer.ReadyPath, (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("HTTPS", (string?)container["readinessProbe"]!["httpGet"]!["scheme"]);
        Assert.Equal(WebhookServer.HealthPath, (string?)container["livenessProbe"]!["httpGet"]!["path"]);

        // Only opted-in pods reach the webhook, and the webhook's own pods and namespace are never among them.
        var namespaceLabels = webhook["namespaceSelector"]!["matchLabels"]!.AsObject();
        var objectLabels = webhook["objectSelector"]!["matchLabels"]!.AsObject();
        Assert.NotEmpty(namespaceLabels);
        Assert.NotEmpty(objectLabels);
        var ownNamespace = manifests.Single("Namespace", (string?)target["namespace"]);
        Assert.DoesNotContain(namespaceLabels, l => (string?)ownNamespace["metadata"]!["labels"]?[l.Key] == (string?)l.Value);
        Assert.DoesNotContain(objectLabels, l => (string?)templateLabels[l.Key] == (string?)l.Value);
    }

    [Fact]
    public async Task The_files_the_flags_name_are_mounted_and_the_config_is_valid()
    {
        var manifests = await RenderedManifests.RenderAsync(Base);
        var deployment = manifests.Single("Deployment", "oras-assemble-webhook");
        var options = DeploymentOptions(deployment);
        var podSpec = deployment["spec"]!["template"]!["spec"]!;

        Assert.Equal("oras-assemble-webhook-tls", (string?)VolumeFor(podSpec, options.TlsCertificateFile)["secret"]!["secretName"]);
        Assert.Equal("oras-assemble-webhook-tls", (string?)VolumeFor(podSpec, options.TlsPrivateKeyFile)["secret"]!["secretName"]);
        Assert.Equal("true", (string?)VolumeFor(podSpec, options.RegistryConfigFile!)["secret"]!["optional"]);
        var configMapName = (string?)VolumeFor(podSpec, options.ConfigFile!)["configMap"]!["name"];
        var config = (string)manifests.Single("ConfigMap", configMapName)["data"]![Path.GetFileName(options.ConfigFile!)]!;
        HostSettings.Parse(config, "config.yaml");
        Assert.Equal(WebhookSettings.Default, WebhookSettingsParser.Parse(config, "config.yaml"));
        Assert.Equal(
            (string?)podSpec["serviceAccountName"],
            (string?)manifests.Single("ServiceAccount")["metadata"]!["name"]);
    }

    [Fact]
    public async Task The_certificate_script_makes_an_overlay_whose_certificate_the_webhook_serves_and_the_ca_bundle_trusts()
    {
        var overlay = temp.Combine("overlay");
        var script = await ProcessRunner.RunAsync("bash", [Path.Combine(Base, "gen-certs.sh"), overlay]);
        Assert.True(script.ExitCode == 0, script.Stderr);

        var manifests = await RenderedManifests.RenderAsync(overlay);
        var secret = manifests.Single("Secret", "oras-assemble-webhook-tls");
        var webhook = manifests.Single("MutatingWebhookConfiguration")["webhooks"]![0]!;
        var caBundle = Encoding.UTF8.GetString(Convert.FromBase64String((string)webhook["clientConfig"]!["caBundle"]!));

        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
        Assert.Equal("oras-assemble", (string?)secret["metadata"]!["namespace"]);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(overlay, "tls.crt")), Decode(secret["data"]!["tls.crt"]));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(overlay, "tls.key")), Decode(secret["data"]!["tls.key"]));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(overlay, "ca.crt")), caBundle);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(overlay, "tls.key")));

        // The API server's view: it dials the service's DNS name and trusts only caBundle.
        using var ca = X509Certificate2.CreateFromPem(caBundle);
        using var authority = TestCertificateAuthority.Create();
        var options = new WebhookOptions
        {
            Listen = new ListenAddress(IPAddress.Loopback, 0),
            TlsCertificateFile = Path.Combine(overlay, "tls.crt"),
            TlsPrivateKeyFile = Path.Combine(overlay, "tls.key"),
        };
        await using var app = await WebhookServer.CreateAsync(options, _ => { });
        await app.StartAsync();
        using var client = authority.CreateClient(trusted: ca, expectedName: ServiceDns);
        Assert.Equal("ok\n", await client.GetStringAsync(new Uri(new Uri(app.Urls.Single()), "/readyz")));
        await app.StopAsync();
    }

    [Fact]
    public async Task Running_the_script_again_renews_the_certificate_under_the_same_ca()
    {
        var overlay = temp.Combine("overlay");
        Assert.Equal(0, (await ProcessRunner.RunAsync("bash", [Path.Combine(Base, "gen-certs.sh"), "--days", "30", overlay])).ExitCode);
        var firstCa = await File.ReadAllTextAsync(Path.Combine(overlay, "ca.crt"));
        var firstCertificate = await File.ReadAllTextAsync(Path.Combine(overlay, "tls.crt"));

        Assert.Equal(0, (await ProcessRunner.RunAsync("bash", [Path.Combine(Base, "gen-certs.sh"), "--days", "30", overlay])).ExitCode);

        Assert.Equal(firstCa, await File.ReadAllTextAsync(Path.Combine(overlay, "ca.crt")));
        Assert.NotEqual(firstCertificate, await File.ReadAllTextAsync(Path.Combine(overlay, "tls.crt")));
        using var renewed = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(overlay, "tls.crt")));
        Assert.InRange(renewed.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromDays(29), TimeSpan.FromDays(31));
    }

    [Fact]
    public async Task The_script_moves_everything_to_another_namespace()
    {
        var overlay = temp.Combine("overlay");
        Assert.Equal(0, (await ProcessRunner.RunAsync("bash", [Path.Combine(Base, "gen-certs.sh"), "--namespace", "tools", overlay])).ExitCode);

        var manifests = await RenderedManifests.RenderAsync(overlay);
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(overlay, "tls.crt")));

        Assert.Equal("tools", (string?)manifests.Single("MutatingWebhookConfiguration")["webhooks"]![0]!["clientConfig"]!["service"]!["namespace"]);
        Assert.All(manifests.Objects.Where(o => o["metadata"]!["namespace"] is not null), o => Assert.Equal("tools", (string?)o["metadata"]!["namespace"]));
        Assert.Equal("tools", (string?)manifests.Single("Namespace")["metadata"]!["name"]);
        Assert.True(certificate.MatchesHostname("oras-assemble-webhook.tools.svc"));
        Assert.False(certificate.MatchesHostname(ServiceDns));
    }

    [Theory]
    [InlineData("--namespace", "Not_Valid")]
    [InlineData("--days", "0")]
    [InlineData("--bogus", "x")]
    public async Task The_script_refuses_bad_arguments(string flag, string value)
    {
        var result = await ProcessRunner.RunAsync("bash", [Path.Combine(Base, "gen-certs.sh"), flag, value, temp.Combine("overlay")]);

        Assert.Equal(2, result.ExitCode);
        Assert.False(File.Exists(temp.Combine("overlay", "tls.key")));
    }

    [Fact]
    public async Task The_webhook_may_get_service_accounts_and_nothing_else_with_a_token_only_its_own_container_mounts()
    {
        var manifests = await RenderedManifests.RenderAsync(Base);
        var deployment = manifests.Single("Deployment", "oras-assemble-webhook");
        var podSpec = deployment["spec"]!["template"]!["spec"]!;
        var account = manifests.Single("ServiceAccount");
        var role = manifests.Single("ClusterRole");
        var binding = manifests.Single("ClusterRoleBinding");

        var rule = Assert.Single(role["rules"]!.AsArray())!;
        Assert.Equal([""], Strings(rule["apiGroups"]));
        Assert.Equal(["serviceaccounts"], Strings(rule["resources"]));
        Assert.Equal(["get"], Strings(rule["verbs"]));
        Assert.DoesNotContain(manifests.Objects, o => (string?)o["kind"] is "Role" or "RoleBinding");
        Assert.Equal("ClusterRole", (string?)binding["roleRef"]!["kind"]);
        Assert.Equal((string?)role["metadata"]!["name"], (string?)binding["roleRef"]!["name"]);
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal("ServiceAccount", (string?)subject["kind"]);
        Assert.Equal((string?)podSpec["serviceAccountName"], (string?)subject["name"]);
        Assert.Equal((string?)account["metadata"]!["name"], (string?)subject["name"]);
        Assert.Equal((string?)deployment["metadata"]!["namespace"], (string?)subject["namespace"]);

        // The in-cluster config finds token, ca.crt and namespace where it looks; no other container gets them.
        Assert.Equal("false", (string?)account["automountServiceAccountToken"]);
        Assert.Equal("false", (string?)podSpec["automountServiceAccountToken"]);
        Assert.Null(DeploymentOptions(deployment).ApiServer);
        var projected = VolumeFor(podSpec, "/var/run/secrets/kubernetes.io/serviceaccount/token")["projected"]!["sources"]!.AsArray();
        var token = Assert.Single(projected, p => p!["serviceAccountToken"] is not null)!["serviceAccountToken"]!;
        Assert.Equal("token", (string?)token["path"]);
        Assert.InRange(int.Parse((string)token["expirationSeconds"]!, System.Globalization.CultureInfo.InvariantCulture), 600, 86400);
        var ca = Assert.Single(projected, p => p!["configMap"] is not null)!["configMap"]!;
        Assert.Equal("kube-root-ca.crt", (string?)ca["name"]);
        Assert.Equal("ca.crt", (string?)Assert.Single(ca["items"]!.AsArray())!["path"]);
        var ns = Assert.Single(projected, p => p!["downwardAPI"] is not null)!["downwardAPI"]!;
        Assert.Equal("metadata.namespace", (string?)Assert.Single(ns["items"]!.AsArray(), i => (string?)i!["path"] == "namespace")!["fieldRef"]!["fieldPath"]);
        var mount = Assert.Single(podSpec["containers"]![0]!["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount")!;
        Assert.Equal("true", (string?)mount["readOnly"]);
    }

    /// <summary>The Deployment's arguments, read by the webhook's own command line, so they are known to be valid flags.</summary>
    private static WebhookOptions DeploymentOptions(JsonObject deployment)
    {
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var arguments = Strings(container["args"]);
        var error = new StringWriter();
        var outcome = WebhookCommandLine.Parse(arguments, TextWriter.Null, error);
        Assert.True(outcome.Options is not null, $"the Deployment's args are not valid flags: {error}");
        return outcome.Options;
    }

    /// <summary>The pod volume mounted at the directory holding <paramref name="file"/>.</summary>
    private static JsonNode VolumeFor(JsonNode podSpec, string file)
    {
        var directory = Path.GetDirectoryName(file);
        var mount = Assert.Single(podSpec["containers"]![0]!["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == directory)!;
        return Assert.Single(podSpec["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)mount["name"])!;
    }

    private static List<string> Strings(JsonNode? node) => node?.AsArray().Select(n => (string)n!).ToList() ?? [];

    private static string Decode(JsonNode? node) => Encoding.UTF8.GetString(Convert.FromBase64String((string)node!));
}
