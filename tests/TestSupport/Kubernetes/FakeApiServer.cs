using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrasAssemble.Tests.Kubernetes;

/// <summary>
/// The few read endpoints of a Kubernetes API server that pull-secret lookups use, in process on 127.0.0.1 over plain
/// HTTP: <c>GET /api/v1/namespaces/{ns}/pods/{name}</c>, <c>…/serviceaccounts/{name}</c> and <c>…/secrets/{name}</c>,
/// answering the documented <c>v1</c> JSON, with a <c>Status</c> body for 401, 403 and 404. Every request must carry
/// <see cref="Token"/> as its bearer token. It can be made slow, or to refuse a kind of object, on demand.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string Token = "fake-api-server-token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Kind, string Namespace, string Name), JsonObject> _objects = new();

    private FakeApiServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>The path of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>How long every answer waits before it is sent.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Kinds (<c>pods</c>, <c>serviceaccounts</c>, <c>secrets</c>) answered with 403, as when RBAC does not grant them.</summary>
    public ConcurrentDictionary<string, bool> Forbidden { get; } = new(StringComparer.Ordinal);

    public static async Task<FakeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeApiServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new FakeApiServer(app, new Uri(address));
        return server;
    }

    public int Count(string kind) => Requests.Count(p => p.Contains($"/{kind}/", StringComparison.Ordinal));

    /// <summary>A pod with the given pull secrets and service account (left out of the JSON when null).</summary>
    /// <param name="uid">The pod's <c>metadata.uid</c>; a new one when null.</param>
    public void AddPod(string @namespace, string name, IEnumerable<string>? imagePullSecrets = null, string? serviceAccountName = null, string? uid = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1" }) };
        if (imagePullSecrets is not null)
        {
            spec["imagePullSecrets"] = References(imagePullSecrets);
        }

        if (serviceAccountName is not null)
        {
            spec["serviceAccountName"] = serviceAccountName;
        }

        _objects[("pods", @namespace, name)] = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = Metadata(@namespace, name, uid),
            ["spec"] = spec,
        };
    }

    public void AddServiceAccount(string @namespace, string name, IEnumerable<string>? imagePullSecrets = null)
    {
        var account = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = Metadata(@namespace, name) };
        if (imagePullSecrets is not null)
        {
            account["imagePullSecrets"] = References(imagePullSecrets);
        }

        _objects[("serviceaccounts", @namespace, name)] = account;
    }

    /// <summary>A secret whose data values are given decoded; they are sent base64-encoded, as the API server does.</summary>
    public void AddSecret(string @namespace, string name, string type, IReadOnlyDictionary<string, string> data)
    {
        var encoded = new JsonObject();
        foreach (var (key, value) in data)
        {
            encoded[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
        }

        _objects[("secrets", @namespace, name)] = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = Metadata(@namespace, name),
            ["type"] = type,
            ["data"] = encoded,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        Requests.Enqueue(path);
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (context.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            await StatusAsync(context, 401, "Unauthorized", "Unauthorized");
            return;
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (context.Request.Method != "GET" || parts.Length != 6 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "namespaces")
        {
            await StatusAsync(context, 404, "NotFound", $"the server could not find the requested resource ({context.Request.Method} {path})");
            return;
        }

        var (ns, kind, name) = (parts[3], parts[4], parts[5]);
        if (Forbidden.ContainsKey(kind))
        {
            await StatusAsync(context, 403, "Forbidden",
                $"{kind} \"{name}\" is forbidden: User \"system:serviceaccount:test:test\" cannot get resource \"{kind}\" in API group \"\" in the namespace \"{ns}\"");
            return;
        }

        if (!_objects.TryGetValue((kind, ns, name), out var found))
        {
            await StatusAsync(context, 404, "NotFound", $"{kind} \"{name}\" not found");
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(found.ToJsonString());
    }

    private static Task StatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        return context.Response.WriteAsync(status.ToJsonString());
    }

    private static JsonObject Metadata(string @namespace, string name, string? uid = null) => new()
    {
        ["name"] = name,
        ["namespace"] = @namespace,
        ["uid"] = uid ?? Guid.NewGuid().ToString(),
    };

    private static JsonArray References(IEnumerable<string> names) => new([.. names.Select(n => (JsonNode)new JsonObject { ["name"] = n })]);

    /// <summary>A <c>.dockerconfigjson</c> payload with one registry's username and password.</summary>
    public static string DockerConfigJson(string registry, string username, string password)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
        return JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry] = new { auth } } });
    }
}
