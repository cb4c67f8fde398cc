using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Text;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// What the blob store, the manifest store and the referrers of one repository share: its URLs, the scopes its
/// requests ask for, and sending them: reads of content by digest through the registry's mirrors first, everything
/// else (tags, access checks, pushes) to the registry itself.
/// </summary>
internal sealed class RepositoryEndpoint
{
    private readonly IReadOnlyList<Reference> _mirrors;

    public RepositoryEndpoint(Reference reference, RegistryClient client)
    {
        Reference = reference;
        Client = client;
        Pull = [Scopes.Repository(reference.Repository, "pull")];
        PullPush = [Scopes.Repository(reference.Repository, "pull", "push")];
        Delete = [Scopes.Repository(reference.Repository, "delete")];
        _mirrors = client.Options.Hosts.For(reference.Registry).Mirrors
            .Select(mirror => Registry.Reference.Parse($"{mirror}/{reference.Repository}"))
            .ToList();
    }

    public Reference Reference { get; }

    public RegistryClient Client { get; }

    public RegistryClientOptions Options => Client.Options;

    public IReadOnlyList<string> Pull { get; }

    public IReadOnlyList<string> PullPush { get; }

    public IReadOnlyList<string> Delete { get; }

    /// <summary><c>registry/repository</c>, as messages name it.</summary>
    public string Name => $"{Reference.Registry}/{Reference.Repository}";

    public Uri Url(string path) => Url(Reference, path);

    public Uri Url(Reference at, string path) => new(Client.BaseUri(at), $"{at.Repository}/{path}");

    public Task<HttpResponseMessage> SendAsync(IReadOnlyList<string> scopes, Func<HttpRequestMessage> create, CancellationToken cancellationToken) =>
        Client.SendAsync(Reference, scopes, create, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>Sends a read to the registry itself: tags, access checks and anything not addressed by digest.</summary>
    public Task<HttpResponseMessage> SendOriginPullAsync(Func<Reference, HttpRequestMessage> create, CancellationToken cancellationToken) =>
        SendAsync(Pull, () => create(Reference), cancellationToken);

    /// <summary>
    /// Sends a GET of content addressed by <paramref name="digest"/> to the registry's mirrors first, in order, then
    /// to the registry itself. Each mirror gets one attempt that must answer within its <c>mirrorTimeout</c>; one that
    /// fails, answers with an error or once served wrong bytes for this digest is passed over (and reported). The
    /// caller checks whatever comes back against the digest, and learns which mirror served it (null: the registry).
    /// </summary>
    public async Task<(HttpResponseMessage Response, string? Mirror)> SendDigestPullAsync(
        string digest, string target, Func<Reference, HttpRequestMessage> create, CancellationToken cancellationToken) =>
        await SendMirrorPullAsync(digest, target, create, cancellationToken).ConfigureAwait(false) is { } mirrored
            ? (mirrored.Response, mirrored.Mirror)
            : (await SendOriginPullAsync(create, cancellationToken).ConfigureAwait(false), null);

    /// <summary>
    /// As <see cref="SendDigestPullAsync"/>, but only the mirrors: null when none answered with content (or there are
    /// none), and the registry itself has not been asked.
    /// </summary>
    public async Task<(HttpResponseMessage Response, string Mirror)?> SendMirrorPullAsync(
        string digest, string target, Func<Reference, HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        foreach (var mirror in _mirrors)
        {
            if (Client.Verdicts.HasLied(mirror.Registry, digest))
            {
                continue;
            }

            var response = await TryMirrorAsync(mirror, target, create, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                return (response, mirror.Registry);
            }
        }

        return null;
    }

    /// <summary>
    /// Reports a mirror whose bytes for <paramref name="digest"/> were wrong (or broke off), and passes it over for
    /// that digest from now on.
    /// </summary>
    public void MirrorLied(string mirror, string digest, string target, string cause, MirrorFailureReason reason = MirrorFailureReason.Mismatch)
    {
        Client.Verdicts.Lied(mirror, digest);
        Client.ReportMirrorFailure(new MirrorFailure(mirror, Reference.Registry, target, reason, cause));
    }

    /// <summary>Reports a mirror that failed a request another way, e.g. a body that broke off or stalled.</summary>
    public void MirrorFailed(string mirror, string target, MirrorFailureReason reason, string cause) =>
        Client.ReportMirrorFailure(new MirrorFailure(mirror, Reference.Registry, target, reason, cause));

    private async Task<HttpResponseMessage?> TryMirrorAsync(
        Reference mirror, string target, Func<Reference, HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var timeout = Options.Hosts.For(mirror.Registry).MirrorTimeout;
        try
        {
            var response = await Client.SendAsync(mirror, Pull, () => create(mirror), HttpCompletionOption.ResponseHeadersRead, 1, timeout, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                MirrorMetrics.CountServed(mirror.Registry);
                return response;
            }

            var reason = response.StatusCode == System.Net.HttpStatusCode.NotFound ? MirrorFailureReason.NotFound : MirrorFailureReason.Status;
            MirrorFailed(mirror.Registry, target, reason, $"{(int)response.StatusCode} {response.ReasonPhrase}");
            response.Dispose();
        }
        catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
        {
            MirrorFailed(mirror.Registry, target, MirrorFailureReason.Timeout, $"no response headers within {Settings.SettingsDuration.Format(timeout)} (mirrorTimeout)");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is HttpRequestException or IOException or RegistryException or RegistryTlsException)
        {
            MirrorFailed(mirror.Registry, target, MirrorFailureReason.Unreachable, e.Message);
        }

        return null;
    }

    /// <summary>A tag or digest from what a caller passed: a bare tag, a digest, or a full reference to this repository.</summary>
    public string ContentReference(string reference)
    {
        if (Oci.Digest.IsValid(reference))
        {
            return reference;
        }

        if (reference.Contains('/', StringComparison.Ordinal))
        {
            var parsed = Registry.Reference.Parse(reference);
            if (parsed.Registry != Reference.Registry || parsed.Repository != Reference.Repository)
            {
                throw new ArgumentException($"reference {reference} is not in repository {Name}", nameof(reference));
            }

            return parsed.ContentReference;
        }

        return Reference.WithTag(reference).Tag!;
    }

    public static string Separator(string target) => Oci.Digest.IsValid(target) ? "@" : ":";

    public static string? HeaderDigest(HttpResponseMessage response, string operation)
    {
        if (!response.Headers.TryGetValues("Docker-Content-Digest", out var values))
        {
            return null;
        }

        var digest = values.First().Trim();
        return Oci.Digest.IsValid(digest)
            ? digest
            : throw ErrorResponse.Protocol(operation, response, $"the registry sent an invalid Docker-Content-Digest {QuotedValue.Of(digest)}");
    }

    public static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long limit, string operation, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > limit)
        {
            throw new SizeLimitExceededException($"{operation}: the registry sends {length} bytes, over the limit of {limit}");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                throw new SizeLimitExceededException($"{operation}: the answer is over the limit of {limit} bytes");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }

    public static Uri? NextPage(HttpResponseMessage response, Uri current) =>
        response.Headers.TryGetValues("Link", out var links) && LinkHeader.Next(links) is { } next
            ? new Uri(current, next)
            : null;
}
