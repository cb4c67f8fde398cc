using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace OrasAssemble.Tests.Fixtures;

/// <summary>
/// A docker token server on 127.0.0.1 for <see cref="RegistryAuth.Token"/> registries. It speaks both the
/// GET protocol (Basic auth, <c>offline_token</c>) and the OAuth2 POST form (<c>password</c> and
/// <c>refresh_token</c> grants) and signs RS256 JWTs whose <c>x5c</c> header carries the self-signed
/// certificate the registry trusts through <see cref="CertificatePem"/>.
/// Rights: <see cref="TestUsers.Username"/> gets every action asked for, <see cref="TestUsers.ReadOnlyUsername"/>
/// only <c>pull</c>, anonymous callers only <c>pull</c> on repositories under <c>public/</c>. Access that is not
/// granted is left out of the token, so the registry, not the issuer, refuses the request.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    public const string DefaultService = "oras-assemble-test-registry";
    public const string IssuerName = "oras-assemble-test-issuer";

    // Generating an RSA key costs far more than anything else here, so every issuer in the run shares one.
    private static readonly Lazy<(RSAParameters Key, byte[] Certificate)> SharedKeyMaterial = new(CreateKeyMaterial);

    private readonly WebApplication app;
    private readonly RSA signingKey;
    private readonly string certificateChainHeader;
    private readonly Lock gate = new();
    private readonly List<TokenRequest> requests = [];
    private readonly ConcurrentDictionary<string, string> refreshTokens = new(StringComparer.Ordinal);
    private long lifetimeTicks = TimeSpan.FromMinutes(5).Ticks;
    private Uri? realm;

    private TokenIssuer(string service)
    {
        Service = service;
        var (key, certificate) = SharedKeyMaterial.Value;
        signingKey = RSA.Create(key);
        using var cert = X509CertificateLoader.LoadCertificate(certificate);
        CertificatePem = cert.ExportCertificatePem() + "\n";
        certificateChainHeader = Convert.ToBase64String(certificate);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Run(HandleAsync);
    }

    /// <summary>The token endpoint, <c>http://127.0.0.1:PORT/token</c>, as registries put it in their challenge.</summary>
    public Uri Realm => realm ?? throw new InvalidOperationException("The token issuer has not started.");

    /// <summary>The service name tokens are issued for (their <c>aud</c>).</summary>
    public string Service { get; }

    /// <summary>The <c>iss</c> claim of every token.</summary>
    public string Issuer => IssuerName;

    /// <summary>PEM of the signing certificate: the registry's <c>rootcertbundle</c>.</summary>
    public string CertificatePem { get; }

    /// <summary>
    /// Lifetime of tokens issued from now on (default 5 minutes). Note that distribution accepts a token up to
    /// 60 seconds past its <c>exp</c>, so a short lifetime tests a client's own expiry handling, not the registry's.
    /// </summary>
    public TimeSpan TokenLifetime
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref lifetimeTicks));
        set => Interlocked.Exchange(ref lifetimeTicks, value.Ticks);
    }

    /// <summary>How many requests reached the token endpoint (successful or not) since start or the last clear.</summary>
    public int TokenRequests
    {
        get
        {
            lock (gate)
            {
                return requests.Count;
            }
        }
    }

    /// <summary>The requests behind <see cref="TokenRequests"/>, oldest first.</summary>
    public IReadOnlyList<TokenRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return [.. requests];
            }
        }
    }

    public static async Task<TokenIssuer> StartAsync(string service = DefaultService, CancellationToken ct = default)
    {
        var issuer = new TokenIssuer(service);
        try
        {
            await issuer.app.StartAsync(ct).ConfigureAwait(false);
            var address = issuer.app.Services.GetRequiredService<IServer>().Features
                .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            issuer.realm = new Uri(new Uri(address), "/token");
            return issuer;
        }
        catch
        {
            await issuer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    /// <summary>
    /// Signs a token directly, bypassing users and rights, e.g. an already expired one
    /// (a lifetime below -60 s, past distribution's leeway) to see that a client fetches a fresh token.
    /// </summary>
    public string CreateToken(string subject, IEnumerable<TokenAccess> access, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new JsonArray(certificateChainHeader),
        };
        var accessClaim = new JsonArray();
        foreach (var entry in access)
        {
            accessClaim.Add(new JsonObject
            {
                ["type"] = entry.Type,
                ["name"] = entry.Name,
                ["actions"] = new JsonArray([.. entry.Actions.Select(a => JsonValue.Create(a))]),
            });
        }

        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
            // A little slack so a registry whose clock reads the same second does not call it premature.
            ["nbf"] = now.AddSeconds(-5).ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["access"] = accessClaim,
        };

        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "."
            + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        byte[] signature;
        lock (signingKey)
        {
            signature = signingKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        return signingInput + "." + Base64Url(signature);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        signingKey.Dispose();
    }

    private static (RSAParameters, byte[]) CreateKeyMaterial()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + IssuerName, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return (rsa.ExportParameters(includePrivateParameters: true), certificate.Export(X509ContentType.Cert));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != "/token")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            return HandleGetAsync(context);
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            return HandlePostAsync(context);
        }

        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        return Task.CompletedTask;
    }

    // Docker token protocol: https://distribution.github.io/distribution/spec/auth/token/
    private async Task HandleGetAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var scopes = SplitScopes(query["scope"]);
        var authorization = context.Request.Headers.Authorization.ToString();
        var grant = authorization.Length == 0 ? "anonymous" : "basic";

        if (query["service"] != Service)
        {
            Record("GET", grant, scopes, null, StatusCodes.Status400BadRequest);
            await WriteErrorsAsync(context, StatusCodes.Status400BadRequest, "UNSUPPORTED", $"unknown service '{query["service"]}'").ConfigureAwait(false);
            return;
        }

        string? user = null;
        if (authorization.Length != 0 && !TryAuthenticateBasic(authorization, out user))
        {
            Record("GET", grant, scopes, null, StatusCodes.Status401Unauthorized);
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{IssuerName}\"";
            await WriteErrorsAsync(context, StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "authentication failed").ConfigureAwait(false);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var lifetime = TokenLifetime;
        var token = CreateToken(user ?? "", Grant(user, scopes), lifetime);
        var body = new JsonObject
        {
            ["token"] = token,
            ["access_token"] = token,
            ["expires_in"] = ExpiresIn(lifetime),
            ["issued_at"] = now.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (user is not null && string.Equals(query["offline_token"], "true", StringComparison.OrdinalIgnoreCase))
        {
            body["refresh_token"] = NewRefreshToken(user);
        }

        Record("GET", grant, scopes, user, StatusCodes.Status200OK);
        await WriteJsonAsync(context, StatusCodes.Status200OK, body).ConfigureAwait(false);
    }

    // OAuth2 form: https://distribution.github.io/distribution/spec/auth/oauth/
    private async Task HandlePostAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            Record("POST", "", [], null, StatusCodes.Status400BadRequest);
            await WriteOAuthErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "expected a form body").ConfigureAwait(false);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var grant = form["grant_type"].ToString();
        var scopes = SplitScopes(form["scope"]);

        if (form["service"] != Service)
        {
            Record("POST", grant, scopes, null, StatusCodes.Status400BadRequest);
            await WriteOAuthErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", $"unknown service '{form["service"]}'").ConfigureAwait(false);
            return;
        }

        if (StringValues.IsNullOrEmpty(form["client_id"]))
        {
            Record("POST", grant, scopes, null, StatusCodes.Status400BadRequest);
            await WriteOAuthErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request", "client_id is required").ConfigureAwait(false);
            return;
        }

        string? user;
        string? refreshToken = null;
        switch (grant)
        {
            case "password":
                user = Authenticate(form["username"].ToString(), form["password"].ToString());
                break;
            case "refresh_token":
                refreshToken = form["refresh_token"].ToString();
                user = refreshTokens.GetValueOrDefault(refreshToken);
                break;
            default:
                Record("POST", grant, scopes, null, StatusCodes.Status400BadRequest);
                await WriteOAuthErrorAsync(context, StatusCodes.Status400BadRequest, "unsupported_grant_type", $"grant_type '{grant}' is not supported").ConfigureAwait(false);
                return;
        }

        if (user is null)
        {
            Record("POST", grant, scopes, null, StatusCodes.Status401Unauthorized);
            await WriteOAuthErrorAsync(context, StatusCodes.Status401Unauthorized, "invalid_grant", "authentication failed").ConfigureAwait(false);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var lifetime = TokenLifetime;
        var granted = Grant(user, scopes);
        var body = new JsonObject
        {
            ["access_token"] = CreateToken(user, granted, lifetime),
            ["scope"] = string.Join(' ', granted),
            ["expires_in"] = ExpiresIn(lifetime),
            ["issued_at"] = now.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };

        // Per the OAuth spec a refresh token comes back only for access_type=offline; a refresh grant reuses its own.
        if (form["access_type"] == "offline")
        {
            body["refresh_token"] = refreshToken ?? NewRefreshToken(user);
        }

        Record("POST", grant, scopes, user, StatusCodes.Status200OK);
        await WriteJsonAsync(context, StatusCodes.Status200OK, body).ConfigureAwait(false);
    }

    private static List<string> SplitScopes(StringValues values) =>
        [.. values.SelectMany(v => (v ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    private static IReadOnlyList<TokenAccess> Grant(string? user, IReadOnlyList<string> scopes)
    {
        // Several scopes may name the same resource; like real issuers, merge them into one entry.
        var merged = new Dictionary<(string Type, string Name), List<string>>();
        foreach (var scope in scopes)
        {
            // type:name:actions, where the name itself may contain ':' (a registry host with a port).
            var first = scope.IndexOf(':', StringComparison.Ordinal);
            var last = scope.LastIndexOf(':');
            if (first <= 0 || last <= first)
            {
                continue;
            }

            var type = scope[..first];
            var name = scope[(first + 1)..last];
            foreach (var action in scope[(last + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Allowed(user, type, name, action))
                {
                    continue;
                }

                if (!merged.TryGetValue((type, name), out var actions))
                {
                    merged[(type, name)] = actions = [];
                }

                if (!actions.Contains(action))
                {
                    actions.Add(action);
                }
            }
        }

        return [.. merged.Select(m => new TokenAccess(m.Key.Type, m.Key.Name, m.Value))];
    }

    private static bool Allowed(string? user, string type, string name, string action) => user switch
    {
        TestUsers.Username => true,
        TestUsers.ReadOnlyUsername => type == "repository" && action == "pull",
        _ => type == "repository" && action == "pull" && name.StartsWith("public/", StringComparison.Ordinal),
    };

    private static string? Authenticate(string username, string password) => (username, password) switch
    {
        (TestUsers.Username, TestUsers.Password) => TestUsers.Username,
        (TestUsers.ReadOnlyUsername, TestUsers.ReadOnlyPassword) => TestUsers.ReadOnlyUsername,
        _ => null,
    };

    private static bool TryAuthenticateBasic(string authorization, out string? user)
    {
        user = null;
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        user = colon < 0 ? null : Authenticate(decoded[..colon], decoded[(colon + 1)..]);
        return user is not null;
    }

    private static long ExpiresIn(TimeSpan lifetime) => Math.Max(0, (long)lifetime.TotalSeconds);

    private string NewRefreshToken(string user)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        refreshTokens[token] = user;
        return token;
    }

    private void Record(string method, string grant, IReadOnlyList<string> scopes, string? user, int status)
    {
        lock (gate)
        {
            requests.Add(new TokenRequest(method, grant, scopes, user, status));
        }
    }

    private static Task WriteErrorsAsync(HttpContext context, int status, string code, string message) =>
        WriteJsonAsync(context, status, new JsonObject
        {
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }),
        });

    private static Task WriteOAuthErrorAsync(HttpContext context, int status, string error, string description) =>
        WriteJsonAsync(context, status, new JsonObject { ["error"] = error, ["error_description"] = description });

    private static Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
