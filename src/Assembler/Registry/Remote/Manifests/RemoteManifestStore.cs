using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote.Blobs;
using OrasAssemble.Registry.Remote.Referrers;

namespace OrasAssemble.Registry.Remote.Manifests;

/// <summary>
/// The manifests and tags of one repository (<c>/v2/&lt;name&gt;/manifests/</c>): resolved, fetched and pushed with
/// the manifest media types accepted, bounded by <see cref="RegistryClientOptions.MaxManifestBytes"/> and checked
/// against their digests. A pushed or deleted referrer is kept in its subject's referrers index when the registry
/// does not keep one itself.
/// </summary>
internal sealed class RemoteManifestStore : IRemoteStore
{
    private readonly RepositoryEndpoint _endpoint;

    public RemoteManifestStore(RepositoryEndpoint endpoint)
    {
        _endpoint = endpoint;
        Referrers = new RemoteReferrers(endpoint, this);
    }

    public RemoteReferrers Referrers { get; }

    private string Name => _endpoint.Name;

    private long MaxManifestBytes => _endpoint.Options.MaxManifestBytes;

    public async Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        var target = _endpoint.ContentReference(reference);
        var operation = $"resolve {Name}{RepositoryEndpoint.Separator(target)}{target}";
        // Always the registry itself, never a mirror: resolving is how tags are read and how access is checked.
        using var response = await _endpoint.SendOriginPullAsync(at => ManifestRequest(at, HttpMethod.Head, target), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.MethodNotAllowed
            || (response.IsSuccessStatusCode && !response.Headers.Contains("Docker-Content-Digest")))
        {
            // Some registries do not answer HEAD, or answer it without the digest: the body tells us.
            var (descriptor, _) = await FetchBytesAsync(target, null, cancellationToken).ConfigureAwait(false);
            return descriptor;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        var digest = RepositoryEndpoint.HeaderDigest(response, operation)!;
        if (Oci.Digest.IsValid(target) && digest != target)
        {
            throw ErrorResponse.Mismatch(operation, $"the registry says {target} is {digest}");
        }

        var size = response.Content.Headers.ContentLength
            ?? throw ErrorResponse.Protocol(operation, response, "the answer has no Content-Length");
        return new Descriptor { MediaType = MediaTypeOf(response, null), Digest = digest, Size = size };
    }

    public async Task<(Descriptor Descriptor, Stream Content)> FetchAsync(string reference, CancellationToken cancellationToken = default)
    {
        var (descriptor, bytes) = await FetchBytesAsync(_endpoint.ContentReference(reference), null, cancellationToken).ConfigureAwait(false);
        return (descriptor, new MemoryStream(bytes, writable: false));
    }

    public async Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        var (_, bytes) = await FetchBytesAsync(target.Digest, target, cancellationToken).ConfigureAwait(false);
        return new MemoryStream(bytes, writable: false);
    }

    /// <summary>Fetches the manifest a tag or digest names, bounded in size and checked against its digest.</summary>
    public async Task<(Descriptor Descriptor, byte[] Content)> FetchBytesAsync(string target, Descriptor? expected, CancellationToken cancellationToken)
    {
        var operation = $"fetch manifest {Name}{RepositoryEndpoint.Separator(target)}{target}";
        if (expected is not null && expected.Size > MaxManifestBytes)
        {
            throw new SizeLimitExceededException(
                $"{operation}: the manifest is {expected.Size} bytes, over the limit of {MaxManifestBytes}");
        }

        if (Oci.Digest.IsValid(target) && await FromMirrorsAsync(target, expected, cancellationToken).ConfigureAwait(false) is { } mirrored)
        {
            return mirrored;
        }

        var (response, bytes) = await GetBodyAsync(target, operation, cancellationToken).ConfigureAwait(false);
        using var _ = response;
        var wanted = expected?.Digest ?? (Oci.Digest.IsValid(target) ? target : RepositoryEndpoint.HeaderDigest(response, operation));
        var digest = wanted is null ? Oci.Digest.ComputeSha256(bytes) : Oci.Digest.ComputeLike(wanted, bytes);
        if (wanted is not null && wanted != digest)
        {
            throw ErrorResponse.Mismatch(operation, $"digest mismatch: expected {wanted}, got {digest}");
        }

        if (expected is not null && expected.Size != bytes.Length)
        {
            throw ErrorResponse.Mismatch(operation, $"size mismatch: expected {expected.Size} bytes, got {bytes.Length}");
        }

        var mediaType = expected?.MediaType ?? MediaTypeOf(response, bytes);
        return (new Descriptor { MediaType = mediaType, Digest = digest, Size = bytes.Length }, bytes);
    }

    public async Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        using var response = await _endpoint.SendAsync(_endpoint.Pull, () => ManifestRequest(_endpoint.Reference, HttpMethod.Head, target.Digest), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorResponse.ToExceptionAsync(response, $"check {Name}@{target.Digest}", cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    public Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default) =>
        PushAsync(expected, content, expected.Digest, cancellationToken);

    /// <param name="reference">The tag (or digest) the manifest is put under.</param>
    public async Task PushAsync(Descriptor expected, Stream content, string reference, CancellationToken cancellationToken = default)
    {
        var target = _endpoint.ContentReference(reference);
        if (expected.Size > MaxManifestBytes)
        {
            throw new SizeLimitExceededException(
                $"push manifest {Name}{RepositoryEndpoint.Separator(target)}{target}: {expected.Size} bytes is over the limit of {MaxManifestBytes}");
        }

        var bytes = await ContentExtensions.ReadVerifiedAsync(content, expected, cancellationToken).ConfigureAwait(false);
        await PutAsync(expected, bytes, target, cancellationToken).ConfigureAwait(false);
    }

    public async Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default)
    {
        var tag = _endpoint.ContentReference(reference);
        var (_, bytes) = await FetchBytesAsync(descriptor.Digest, descriptor, cancellationToken).ConfigureAwait(false);
        await PutAsync(descriptor, bytes, tag, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        // Deleting a referrer must also drop it from its subject's fallback index, so read it first.
        var (_, bytes) = await FetchBytesAsync(target.Digest, target, cancellationToken).ConfigureAwait(false);
        var subject = RemoteReferrers.SubjectOf(target.MediaType, bytes);
        await DeleteAsync(target.Digest, cancellationToken).ConfigureAwait(false);
        if (subject is not null)
        {
            await Referrers.RemoveAsync(subject, target, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a manifest by digest and nothing else.</summary>
    public async Task DeleteAsync(string digest, CancellationToken cancellationToken)
    {
        using var response = await _endpoint.SendAsync(_endpoint.Delete, () => new HttpRequestMessage(HttpMethod.Delete, _endpoint.Url($"manifests/{digest}")), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent))
        {
            throw await ErrorResponse.ToExceptionAsync(response, $"delete {Name}@{digest}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>PUTs verified manifest bytes under a tag or digest, then records a referrer the registry did not.</summary>
    public async Task PutAsync(Descriptor expected, byte[] bytes, string target, CancellationToken cancellationToken)
    {
        var operation = $"push manifest {Name}{RepositoryEndpoint.Separator(target)}{target}";
        using var response = await _endpoint.SendAsync(_endpoint.PullPush, () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(expected.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, _endpoint.Url($"manifests/{target}")) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        if (RepositoryEndpoint.HeaderDigest(response, operation) is { } stored && stored != expected.Digest)
        {
            throw ErrorResponse.Mismatch(operation, $"the registry stored {stored}, not {expected.Digest}");
        }

        if (RemoteReferrers.SubjectOf(expected.MediaType, bytes) is { } subject)
        {
            await Referrers.AddAsync(subject, expected, bytes, response.Headers, cancellationToken).ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<string> ListTagsAsync(string? last = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var operation = $"list tags of {Name}";
        Uri? next = _endpoint.Url("tags/list" + (last is null ? "" : "?last=" + Uri.EscapeDataString(last)));
        while (next is not null)
        {
            var page = next;
            using var response = await _endpoint.SendAsync(_endpoint.Pull, () => new HttpRequestMessage(HttpMethod.Get, page), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            var body = await RepositoryEndpoint.ReadBoundedAsync(response, MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
            foreach (var tag in ParseTags(body, operation))
            {
                yield return tag;
            }

            next = RepositoryEndpoint.NextPage(response, page);
        }
    }

    /// <summary>
    /// A manifest by digest from the first mirror that serves exactly those bytes; null when none does (or there are
    /// none), and the registry is asked. A mirror that fails, answers with an error or sends other bytes is passed
    /// over and reported; a manifest is small, so it is read and checked whole before anyone sees it.
    /// </summary>
    private async Task<(Descriptor Descriptor, byte[] Content)?> FromMirrorsAsync(string digest, Descriptor? expected, CancellationToken cancellationToken)
    {
        var what = $"manifest {_endpoint.Reference.Repository}@{digest}";
        while (true)
        {
            // No mirror answered: the registry itself is asked on the ordinary path, with its retries and errors.
            if (await _endpoint.SendMirrorPullAsync(digest, what, at => ManifestRequest(at, HttpMethod.Get, digest), cancellationToken).ConfigureAwait(false)
                is not var (response, mirror))
            {
                return null;
            }

            using (response)
            {

                byte[] bytes;
                try
                {
                    bytes = await RepositoryEndpoint.ReadBoundedAsync(response, MaxManifestBytes, $"fetch {what} from mirror {mirror}", cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or HttpRequestException or SizeLimitExceededException && !cancellationToken.IsCancellationRequested)
                {
                    _endpoint.MirrorLied(mirror, digest, what, e is SizeLimitExceededException ? e.Message : $"the body broke off: {e.Message}",
                        e is SizeLimitExceededException ? MirrorFailureReason.Mismatch : MirrorFailureReason.Unreachable);
                    continue;
                }

                var actual = Oci.Digest.ComputeLike(digest, bytes);
                if (actual != digest || (expected is not null && expected.Size != bytes.Length))
                {
                    _endpoint.MirrorLied(mirror, digest, what, actual != digest
                        ? $"digest mismatch: expected {digest}, got {actual}"
                        : $"size mismatch: expected {expected!.Size} bytes, got {bytes.Length}");
                    continue;
                }

                return (new Descriptor { MediaType = expected?.MediaType ?? MediaTypeOf(response, bytes), Digest = digest, Size = bytes.Length }, bytes);
            }
        }
    }

    /// <summary>
    /// GETs a manifest from the registry itself and reads its whole body. A body that drops, ends early or stalls is asked for again, as a
    /// dropped blob is resumed (a manifest is small: from the start), and reported; the last failure names the reference.
    /// </summary>
    private async Task<(HttpResponseMessage Response, byte[] Body)> GetBodyAsync(string target, string operation, CancellationToken cancellationToken)
    {
        var policy = _endpoint.Options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            var response = await _endpoint.SendOriginPullAsync(at => ManifestRequest(at, HttpMethod.Get, target), cancellationToken).ConfigureAwait(false);
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
                }

                var bytes = await RepositoryEndpoint.ReadBoundedAsync(response, MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
                return (response, bytes);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                response.Dispose();
                var cause = e is IdleTimeoutException idle ? idle.Reason
                    : e is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } ? $"the body ended early ({e.Message})"
                    : ResumableBlobStream.Cause(e);
                if (attempt >= policy.MaxAttempts)
                {
                    throw new RegistryTransferException($"{operation}: {cause} (attempt {attempt} of {policy.MaxAttempts})", response.StatusCode, e);
                }

                var delay = policy.DelayBefore(attempt, null);
                var registry = response.RequestMessage?.RequestUri?.Authority ?? _endpoint.Reference.Registry;
                _endpoint.Client.ReportRetry(new RegistryRetry(registry, $"manifest {_endpoint.Reference.Repository}{RepositoryEndpoint.Separator(target)}{target}", attempt + 1, policy.MaxAttempts, cause, delay)
                {
                    TimedOut = e is IdleTimeoutException,
                });
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>A manifest request that accepts every manifest and index media type; a registry answers 404 without it.</summary>
    private HttpRequestMessage ManifestRequest(Reference at, HttpMethod method, string target)
    {
        var request = new HttpRequestMessage(method, _endpoint.Url(at, $"manifests/{target}"));
        foreach (var mediaType in MediaTypes.ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        return request;
    }

    private static string MediaTypeOf(HttpResponseMessage response, byte[]? body)
    {
        var declared = response.Content.Headers.ContentType?.MediaType;
        if (MediaTypes.IsManifestOrIndex(declared) || (declared is not null && declared != "application/json" && declared != "application/octet-stream" && body is null))
        {
            return declared!;
        }

        return (body is null ? null : OciJson.PeekMediaType(body)) ?? declared ?? MediaTypes.ImageManifest;
    }

    private static IEnumerable<string> ParseTags(byte[] body, string operation)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array)
            {
                return tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList();
            }

            return [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{operation}: the registry answered invalid JSON: {e.Message}", e);
        }
    }
}
