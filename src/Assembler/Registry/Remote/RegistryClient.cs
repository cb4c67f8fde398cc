using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Registry.Remote.Blobs;
using OrasAssemble.Settings;
using OrasAssemble.Text;
using OrasAssemble.Threading;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// Talks HTTP to registries: picks the scheme and TLS settings per host, answers auth challenges (Basic, and the
/// Bearer token flow with a token cache per scope set), and retries what may pass. One client serves many
/// repositories and is safe to share between threads; its tokens and connections are reused.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _secure;
    private readonly Lazy<HttpClient> _insecure;
    private readonly ConcurrentDictionary<string, Challenge> _schemes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private readonly SingleFlight<CachedToken> _tokenFetches = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<Credential>>> _credentials = new(StringComparer.Ordinal);

    public RegistryClient(RegistryClientOptions? options = null)
    {
        Options = options ?? new RegistryClientOptions();
        _secure = CreateHttpClient(insecure: false);
        _insecure = new Lazy<HttpClient>(() => CreateHttpClient(insecure: true));
    }

    public RegistryClientOptions Options { get; }

    /// <summary>A repository on a registry reached through this client.</summary>
    public Repository GetRepository(string reference) => new(Reference.Parse(reference), this);

    public Repository GetRepository(Reference reference) => new(reference, this);

    /// <summary>The <c>/v2/</c> root of a registry, with the scheme its settings ask for.</summary>
    public Uri BaseUri(Reference reference)
    {
        var scheme = Options.Hosts.For(reference.Registry).PlainHttp ? "http" : "https";
        return new Uri($"{scheme}://{reference.Host}/v2/");
    }

    /// <summary>
    /// Asks the registry's API root (<c>GET /v2/</c>) with the configured credentials, answering its auth challenge,
    /// so a login can find out whether the credentials work before anything is stored. An open registry accepts any.
    /// </summary>
    /// <param name="registry">A registry host as written in references, e.g. <c>ghcr.io</c> or <c>127.0.0.1:5000</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="registry"/> is not a registry host.</exception>
    /// <exception cref="RegistryAuthenticationException">The registry or its token service refused the credentials.</exception>
    public async Task PingAsync(string registry, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registry);

        // Any repository will do: only the registry part of the reference is used to reach /v2/.
        if (!Reference.TryParse($"{registry}/ping", out var target) || !string.Equals(target.Registry, registry, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{QuotedValue.Of(registry)} is not a registry host (expected host[:port], e.g. ghcr.io or localhost:5000)", nameof(registry));
        }

        var root = BaseUri(target);
        using var response = await SendAsync(target, [], () => new HttpRequestMessage(HttpMethod.Get, root),
            HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorResponse.ToExceptionAsync(response, $"log in to {target.Registry}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a request built by <paramref name="create"/> (called again for each attempt), authenticating with
    /// the scopes given, retrying transient failures. The caller owns the response, whatever its status.
    /// </summary>
    internal Task<HttpResponseMessage> SendAsync(
        Reference target, IReadOnlyList<string> scopes, Func<HttpRequestMessage> create,
        HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendAsync(target, scopes, create, completion, Options.Retry.MaxAttempts, Options.ResponseTimeout, cancellationToken);

    /// <summary>
    /// As <see cref="SendAsync(Reference, IReadOnlyList{string}, Func{HttpRequestMessage}, HttpCompletionOption, CancellationToken)"/>,
    /// with at most <paramref name="maxAttempts"/> attempts that each must answer within <paramref name="responseTimeout"/>:
    /// a mirror gets one short try, and the request moves on.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(
        Reference target, IReadOnlyList<string> scopes, Func<HttpRequestMessage> create,
        HttpCompletionOption completion, int maxAttempts, TimeSpan responseTimeout, CancellationToken cancellationToken)
    {
        var credential = await GetCredentialAsync(target.Registry, cancellationToken).ConfigureAwait(false);
        var http = HttpFor(target.Registry);
        var rounds = 0;
        while (true)
        {
            string? sent = null;
            var response = await SendWithRetryAsync(http, () =>
            {
                var request = create();
                Authorize(request, target.Registry, scopes, credential);
                sent = request.Headers.Authorization?.Parameter;
                return request;
            }, completion, maxAttempts, responseTimeout, cancellationToken).ConfigureAwait(false);

            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            // One answer to the first challenge; a second only when the registry says the token lacked a scope
            // (it then names the scope it needs). Anything more would loop on credentials that cannot work.
            var challenge = PickChallenge(response);
            if (challenge is null || rounds >= 2 || (rounds == 1 && challenge.Error != "insufficient_scope"))
            {
                return response;
            }

            rounds++;
            response.Dispose();
            if (challenge.Error != "insufficient_scope" && NewerToken(target.Registry, scopes, sent))
            {
                // Another request got a token for these scopes while this one was on the wire: use it.
                continue;
            }

            await AnswerChallengeAsync(http, target.Registry, challenge, scopes, credential, sent, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Challenge? PickChallenge(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("WWW-Authenticate", out var values))
        {
            return null;
        }

        var challenges = Challenge.Parse(values);
        return challenges.FirstOrDefault(c => c.Scheme == "bearer") ?? challenges.FirstOrDefault(c => c.Scheme == "basic");
    }

    private void Authorize(HttpRequestMessage request, string registry, IReadOnlyList<string> scopes, Credential credential)
    {
        if (!_schemes.TryGetValue(registry, out var scheme))
        {
            return;
        }

        if (scheme.Scheme == "basic")
        {
            if (!string.IsNullOrEmpty(credential.Username))
            {
                request.Headers.Authorization = BasicHeader(credential);
            }

            return;
        }

        if (!string.IsNullOrEmpty(credential.AccessToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.AccessToken);
        }
        else if (_tokens.TryGetValue(TokenKey(registry, scopes), out var token) && !token.IsExpired)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        }
    }

    private bool NewerToken(string registry, IReadOnlyList<string> scopes, string? sent) =>
        _schemes.TryGetValue(registry, out var scheme) && scheme.Scheme == "bearer"
        && _tokens.TryGetValue(TokenKey(registry, scopes), out var token) && !token.IsExpired && token.Value != sent;

    /// <param name="sent">The token the challenged request carried, if any: a token other than that one, stored since, is used instead of a new one.</param>
    private async Task AnswerChallengeAsync(
        HttpClient http, string registry, Challenge challenge, IReadOnlyList<string> scopes, Credential credential, string? sent,
        CancellationToken cancellationToken)
    {
        _schemes[registry] = challenge;
        if (challenge.Scheme != "bearer" || !string.IsNullOrEmpty(credential.AccessToken))
        {
            return;
        }

        // An insufficient_scope challenge names what the request needed; ask for that beside what we meant to do.
        var wanted = challenge.Scope is { Length: > 0 } extra
            ? Scopes.Merge(scopes.Concat(extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            : Scopes.Merge(scopes);
        var key = TokenKey(registry, scopes);

        // Concurrent requests that hit the same challenge share one token request.
        _tokens[key] = await _tokenFetches.RunAsync(
            key + " " + string.Join(' ', wanted),
            async () =>
            {
                // A request whose challenge came back just after another's token request ended starts a flight of its
                // own; the token that one stored (before its flight ended) answers it.
                if (challenge.Error != "insufficient_scope" && _tokens.TryGetValue(key, out var current) && !current.IsExpired && current.Value != sent)
                {
                    return current;
                }

                var token = await FetchTokenAsync(http, registry, challenge, wanted, credential, CancellationToken.None).ConfigureAwait(false);
                _tokens[key] = token;
                return token;
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<CachedToken> FetchTokenAsync(
        HttpClient http, string registry, Challenge challenge, IReadOnlyList<string> scopes, Credential credential,
        CancellationToken cancellationToken)
    {
        if (challenge.Realm is not { Length: > 0 } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm))
        {
            throw new RegistryAuthenticationException(
                $"registry {registry} asked for a bearer token without a usable realm in its challenge", []);
        }

        using var response = await SendWithRetryAsync(http, () => TokenRequest(realm, challenge.Service, scopes, credential),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await ErrorResponse.ReadAsync(response, cancellationToken).ConfigureAwait(false);
            var who = credential.IsEmpty ? "anonymous access" : credential.ToString();
            var message = $"token service {realm.GetLeftPart(UriPartial.Path)} for {registry} refused {who} " +
                $"({(int)response.StatusCode} {response.ReasonPhrase}){ErrorResponse.Describe(body)}";
            throw response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? new RegistryAuthenticationException(message, body)
                : new RegistryException(message, response.StatusCode, body);
        }

        return await CachedToken.ReadAsync(response, registry, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage TokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, Credential credential)
    {
        if (!string.IsNullOrEmpty(credential.RefreshToken))
        {
            // The OAuth2 flow: a refresh (identity) token is exchanged, never sent to the registry itself.
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", credential.RefreshToken),
                new("client_id", "oras-assemble"),
            };
            if (service is not null)
            {
                form.Add(new("service", service));
            }

            if (scopes.Count > 0)
            {
                form.Add(new("scope", string.Join(' ', scopes)));
            }

            return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
        }

        var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] : "");
        if (service is not null)
        {
            Append(query, "service", service);
        }

        foreach (var scope in scopes)
        {
            Append(query, "scope", scope);
        }

        var uri = new UriBuilder(realm) { Query = query.ToString() }.Uri;
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (!string.IsNullOrEmpty(credential.Username))
        {
            request.Headers.Authorization = BasicHeader(credential);
        }

        return request;

        static void Append(StringBuilder query, string key, string value) =>
            query.Append(query.Length > 0 ? "&" : "").Append(key).Append('=').Append(Uri.EscapeDataString(value));
    }

    /// <summary>Sends with retries on connection failures and transient statuses; no authentication.</summary>
    internal Task<HttpResponseMessage> SendWithRetryAsync(
        HttpClient http, Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendWithRetryAsync(http, create, completion, Options.Retry.MaxAttempts, Options.ResponseTimeout, cancellationToken);

    private async Task<HttpResponseMessage> SendWithRetryAsync(
        HttpClient http, Func<HttpRequestMessage> create, HttpCompletionOption completion, int maxAttempts, TimeSpan responseTimeout,
        CancellationToken cancellationToken)
    {
        var policy = Options.Retry with { MaxAttempts = maxAttempts };
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            HttpResponseMessage response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                // Uploads take as long as their bodies need (the handler times their answer once they are sent);
                // anything else must answer within the response timeout.
                if (request.Content is null)
                {
                    timeout.CancelAfter(responseTimeout);
                }

                try
                {
                    response = await http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
                }
                catch (HttpRequestException e) when (e.InnerException is AuthenticationException tls)
                {
                    // A handshake that failed fails the same way again (a plain-HTTP registry, an untrusted certificate): no retry.
                    throw new RegistryTlsException(request.RequestUri?.Authority ?? "the registry", tls.Message, e);
                }
                catch (Exception e) when (IsTransientFailure(e, cancellationToken) && attempt < policy.MaxAttempts && CanReplay(request))
                {
                    var cause = e is OperationCanceledException
                        ? $"no response headers within {SettingsDuration.Format(responseTimeout)} (transfer.responseTimeout)"
                        : Stalled(e)?.Reason ?? e.Message;
                    var timedOut = e is OperationCanceledException || Stalled(e) is not null;
                    await PauseBeforeRetryAsync(request, attempt, cause, null, timedOut, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (HttpRequestException e) when (e.InnerException is Content.ContentVerificationException mismatch)
                {
                    // The body we were sending turned out not to be what it claimed: say that, not "request failed".
                    throw mismatch;
                }
                catch (HttpRequestException e) when (Stalled(e) is { } stalled && !cancellationToken.IsCancellationRequested)
                {
                    // An upload the registry stopped taking: say so, not "error while copying content to a stream".
                    throw new TimeoutException(
                        $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)}: {stalled.Reason} (attempt {attempt} of {policy.MaxAttempts})", e);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(
                        $"{request.Method} {request.RequestUri?.GetLeftPart(UriPartial.Path)} did not answer within " +
                        $"{SettingsDuration.Format(responseTimeout)} (transfer.responseTimeout; attempt {attempt} of {policy.MaxAttempts})", e);
                }
            }

            if (!RetryPolicy.IsTransient(response.StatusCode) || attempt >= policy.MaxAttempts || !CanReplay(request))
            {
                return response;
            }

            var retryAfter = RetryAfter(response);
            if (retryAfter > policy.MaxRetryAfter)
            {
                return response;
            }

            var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            response.Dispose();
            await PauseBeforeRetryAsync(request, attempt, status, retryAfter, timedOut: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PauseBeforeRetryAsync(
        HttpRequestMessage failed, int attempt, string cause, TimeSpan? retryAfter, bool timedOut, CancellationToken cancellationToken)
    {
        var delay = Options.Retry.DelayBefore(attempt, retryAfter);
        ReportRetry(new RegistryRetry(
            failed.RequestUri?.Authority ?? "", RegistryRetry.Describe(failed), attempt + 1, Options.Retry.MaxAttempts, cause, delay)
        {
            TimedOut = timedOut,
        });
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    internal void ReportRetry(RegistryRetry retry) => Options.Retrying?.Invoke(retry);

    /// <summary>Counts a mirror that was passed over and tells the host, which logs it.</summary>
    internal void ReportMirrorFailure(MirrorFailure failure)
    {
        MirrorMetrics.CountFailure(failure);
        Options.MirrorFailed?.Invoke(failure);
    }

    /// <summary>(mirror, digest) pairs whose bytes a mirror got wrong: later fetches of that digest skip that mirror.</summary>
    internal MirrorVerdicts Verdicts { get; } = new();

    // A request whose body is a one-way stream cannot be sent twice; the caller retries the whole operation.
    private static bool CanReplay(HttpRequestMessage request) =>
        TransferTimeoutHandler.Unwrap(request.Content) is null or ReplayableContent { CanReplay: true } or ByteArrayContent;

    private static IdleTimeoutException? Stalled(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IdleTimeoutException stalled)
            {
                return stalled;
            }
        }

        return null;
    }

    private static bool IsTransientFailure(Exception e, CancellationToken cancellationToken) => e switch
    {
        HttpRequestException { InnerException: Content.ContentVerificationException } => false,
        HttpRequestException => true,
        IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        return header?.Date is { } date ? date - DateTimeOffset.UtcNow : null;
    }

    private Task<Credential> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        if (Options.Credentials is null)
        {
            return Task.FromResult(Credential.Empty);
        }

        var lazy = _credentials.GetOrAdd(registry, r => new Lazy<Task<Credential>>(
            () => Options.Credentials.GetAsync(r, CancellationToken.None)));
        return lazy.Value.WaitAsync(cancellationToken);
    }

    internal HttpClient HttpFor(string registry) =>
        Options.Hosts.For(registry).Insecure && Options.Handler is null ? _insecure.Value : _secure;

    private HttpClient CreateHttpClient(bool insecure)
    {
        HttpMessageHandler handler = Options.Handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = Options.ConnectTimeout,
            MaxConnectionsPerServer = Options.MaxConnectionsPerServer,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = insecure
                ? new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true }
                : new System.Net.Security.SslClientAuthenticationOptions(),
        };
        var bounded = new TransferTimeoutHandler(handler, ownsInner: Options.Handler is null, Options.ResponseTimeout, Options.IdleTimeout);
        var client = new HttpClient(bounded, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
        return client;
    }

    private static AuthenticationHeaderValue BasicHeader(Credential credential) => new(
        "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    private static string TokenKey(string registry, IReadOnlyList<string> scopes) =>
        registry + " " + string.Join(' ', Scopes.Merge(scopes));

    public void Dispose()
    {
        _secure.Dispose();
        if (_insecure.IsValueCreated)
        {
            _insecure.Value.Dispose();
        }
    }

    private sealed record CachedToken(string Value, DateTimeOffset Expires)
    {
        public bool IsExpired => DateTimeOffset.UtcNow >= Expires;

        public static async Task<CachedToken> ReadAsync(HttpResponseMessage response, string registry, CancellationToken cancellationToken)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                var token = Text(root, "token") ?? Text(root, "access_token")
                    ?? throw new RegistryAuthenticationException($"token service for {registry} answered without a token", []);
                var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60;

                // Renew a little early so a token does not expire between the check and the request.
                return new CachedToken(token, DateTimeOffset.UtcNow.AddSeconds(Math.Max(1, lifetime - Math.Min(10, lifetime / 4))));
            }
            catch (JsonException ex)
            {
                throw new RegistryAuthenticationException($"token service for {registry} answered with invalid JSON: {ex.Message}", [], ex);
            }

            static string? Text(JsonElement root, string name) =>
                root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
        }
    }
}
