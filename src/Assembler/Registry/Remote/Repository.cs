using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;
using OrasAssemble.Text;

namespace OrasAssemble.Registry.Remote;

/// <summary>
/// One repository on a registry, spoken to through the OCI distribution API. Shaped like the ORAS SDKs'
/// <c>Repository</c>: resolve, fetch, push, tag, delete, mount, list tags and referrers.
/// </summary>
public sealed class Repository : ITarget, IDeletable, IReferenceFetchable, IReferencePushable, IReferrerLister, ITagLister, IMounter
{
    private const string SubjectHeader = "OCI-Subject";
    private const string FiltersAppliedHeader = "OCI-Filters-Applied";

    // Updates of one subject's referrers index (the tag fallback) must not interleave within this process.
    // A fixed set of stripes keeps that bounded however many subjects a long-lived process sees.
    private static readonly SemaphoreSlim[] ReferrersLocks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private readonly RegistryClient _client;
    private readonly IReadOnlyList<string> _pull;
    private readonly IReadOnlyList<string> _pullPush;
    private readonly IReadOnlyList<string> _delete;
    private readonly IReadOnlyList<Reference> _mirrors;
    private bool? _referrersApi;

    internal Repository(Reference reference, RegistryClient client)
    {
        Reference = reference;
        _client = client;
        _pull = [Scopes.Repository(reference.Repository, "pull")];
        _pullPush = [Scopes.Repository(reference.Repository, "pull", "push")];
        _delete = [Scopes.Repository(reference.Repository, "delete")];
        _mirrors = client.Options.Hosts.For(reference.Registry).Mirrors
            .Select(mirror => Registry.Reference.Parse($"{mirror}/{reference.Repository}"))
            .ToList();
    }

    public Reference Reference { get; }

    /// <summary><c>registry/repository</c>, as messages name it.</summary>
    public string Name => $"{Reference.Registry}/{Reference.Repository}";

    /// <summary>Whether the registry serves the referrers API; null until a call found out.</summary>
    public bool? SupportsReferrersApi => _referrersApi;

    private Uri Url(string path) => Url(Reference, path);

    private Uri Url(Reference at, string path) => new(_client.BaseUri(at), $"{at.Repository}/{path}");

    private Task<HttpResponseMessage> SendAsync(
        IReadOnlyList<string> scopes, Func<HttpRequestMessage> create, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseHeadersRead) =>
        _client.SendAsync(Reference, scopes, create, completion, cancellationToken);

    /// <summary>
    /// Sends a read through the registry's mirrors first, in order, then the registry itself. A mirror that fails
    /// or lacks the content is passed over; whatever it serves is digest-checked like anything else.
    /// </summary>
    private async Task<HttpResponseMessage> SendPullAsync(Func<Reference, HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        foreach (var mirror in _mirrors)
        {
            try
            {
                var response = await _client.SendAsync(mirror, _pull, () => create(mirror), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or RegistryException)
            {
            }
        }

        return await SendAsync(_pull, () => create(Reference), cancellationToken).ConfigureAwait(false);
    }

    // ---- resolve and fetch -------------------------------------------------------------------------------------

    public async Task<Descriptor> ResolveAsync(string reference, CancellationToken cancellationToken = default)
    {
        var target = ContentReference(reference);
        var operation = $"resolve {Name}{Separator(target)}{target}";
        using var response = await SendPullAsync(at => ManifestRequest(at, HttpMethod.Head, target), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.MethodNotAllowed
            || (response.IsSuccessStatusCode && !response.Headers.Contains("Docker-Content-Digest")))
        {
            // Some registries do not answer HEAD, or answer it without the digest: the body tells us.
            var (descriptor, content) = await FetchAsync(target, cancellationToken).ConfigureAwait(false);
            await content.DisposeAsync().ConfigureAwait(false);
            return descriptor;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        var digest = HeaderDigest(response, operation)!;
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
        var target = ContentReference(reference);
        var (descriptor, bytes) = await FetchManifestAsync(target, null, cancellationToken).ConfigureAwait(false);
        return (descriptor, new MemoryStream(bytes, writable: false));
    }

    public async Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        if (MediaTypes.IsManifestOrIndex(target.MediaType))
        {
            var (_, bytes) = await FetchManifestAsync(target.Digest, target, cancellationToken).ConfigureAwait(false);
            return new MemoryStream(bytes, writable: false);
        }

        return await FetchBlobAsync(target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches the manifest a tag or digest names, bounded in size and checked against its digest.</summary>
    private async Task<(Descriptor Descriptor, byte[] Content)> FetchManifestAsync(string target, Descriptor? expected, CancellationToken cancellationToken)
    {
        var operation = $"fetch manifest {Name}{Separator(target)}{target}";
        if (expected is not null && expected.Size > _client.Options.MaxManifestBytes)
        {
            throw new SizeLimitExceededException(
                $"{operation}: the manifest is {expected.Size} bytes, over the limit of {_client.Options.MaxManifestBytes}");
        }

        var (response, bytes) = await GetManifestBodyAsync(target, operation, cancellationToken).ConfigureAwait(false);
        using var _ = response;
        var wanted = expected?.Digest ?? (Oci.Digest.IsValid(target) ? target : HeaderDigest(response, operation));
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

    /// <summary>
    /// GETs a manifest and reads its whole body. A body that drops, ends early or stalls is asked for again, as a
    /// dropped blob is resumed (a manifest is small: from the start), and reported; the last failure names the reference.
    /// </summary>
    private async Task<(HttpResponseMessage Response, byte[] Body)> GetManifestBodyAsync(string target, string operation, CancellationToken cancellationToken)
    {
        var policy = _client.Options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            var response = await SendPullAsync(at => ManifestRequest(at, HttpMethod.Get, target), cancellationToken).ConfigureAwait(false);
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
                }

                var bytes = await ReadBoundedAsync(response, _client.Options.MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
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
                var registry = response.RequestMessage?.RequestUri?.Authority ?? Reference.Registry;
                _client.ReportRetry(new RegistryRetry(registry, $"manifest {Reference.Repository}{Separator(target)}{target}", attempt + 1, policy.MaxAttempts, cause, delay)
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

    private async Task<Stream> FetchBlobAsync(Descriptor target, CancellationToken cancellationToken)
    {
        var operation = $"fetch blob {Name}@{target.Digest}";
        var response = await SendPullAsync(at => BlobRequest(at, target.Digest, from: 0), cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            if (response.Content.Headers.ContentLength is { } length && length != target.Size)
            {
                throw ErrorResponse.Mismatch(operation, $"size mismatch: expected {target.Size} bytes, the registry sends {length}");
            }

            var registry = response.RequestMessage?.RequestUri?.Authority ?? Reference.Registry;
            var body = await ResumableBlobStream.OpenAsync(target, response, async (from, ct) =>
            {
                var resumed = await SendPullAsync(at => BlobRequest(at, target.Digest, from), ct).ConfigureAwait(false);
                return resumed;
            }, _client.Options.MaxResumes, operation,
            (attempt, attempts, cause, stalled) => _client.ReportRetry(
                new RegistryRetry(registry, $"blob {target.Digest}", attempt, attempts, cause, TimeSpan.Zero) { TimedOut = stalled }),
            cancellationToken).ConfigureAwait(false);
            return new VerifyingStream(body, target);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private HttpRequestMessage ManifestRequest(Reference at, HttpMethod method, string target)
    {
        var request = new HttpRequestMessage(method, Url(at, $"manifests/{target}"));
        foreach (var mediaType in MediaTypes.ManifestAccept)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        }

        return request;
    }

    private HttpRequestMessage BlobRequest(Reference at, string digest, long from)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Url(at, $"blobs/{digest}"));
        if (from > 0)
        {
            request.Headers.Range = new RangeHeaderValue(from, null);
        }

        return request;
    }

    // ---- exists and delete -------------------------------------------------------------------------------------

    public async Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        var manifest = MediaTypes.IsManifestOrIndex(target.MediaType);
        var path = manifest ? $"manifests/{target.Digest}" : $"blobs/{target.Digest}";
        using var response = await SendAsync(_pull, () => manifest ? ManifestRequest(Reference, HttpMethod.Head, target.Digest) : new HttpRequestMessage(HttpMethod.Head, Url(path)), cancellationToken).ConfigureAwait(false);
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

    public async Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        var manifest = MediaTypes.IsManifestOrIndex(target.MediaType);
        Descriptor? subject = null;
        if (manifest)
        {
            // Deleting a referrer must also drop it from its subject's fallback index, so read it first.
            var (_, bytes) = await FetchManifestAsync(target.Digest, target, cancellationToken).ConfigureAwait(false);
            subject = SubjectOf(target.MediaType, bytes);
        }

        var operation = $"delete {Name}@{target.Digest}";
        var path = manifest ? $"manifests/{target.Digest}" : $"blobs/{target.Digest}";
        using var response = await SendAsync(_delete, () => new HttpRequestMessage(HttpMethod.Delete, Url(path)), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent))
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        if (subject is not null && _referrersApi != true)
        {
            await UpdateReferrersIndexAsync(subject, target, add: false, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- push --------------------------------------------------------------------------------------------------

    public Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default) =>
        MediaTypes.IsManifestOrIndex(expected.MediaType)
            ? PushManifestAsync(expected, content, expected.Digest, cancellationToken)
            : PushBlobAsync(expected, content, cancellationToken);

    public Task PushAsync(Descriptor expected, Stream content, string reference, CancellationToken cancellationToken = default) =>
        PushManifestAsync(expected, content, ContentReference(reference), cancellationToken);

    public async Task TagAsync(Descriptor descriptor, string reference, CancellationToken cancellationToken = default)
    {
        var tag = ContentReference(reference);
        var (_, bytes) = await FetchManifestAsync(descriptor.Digest, descriptor, cancellationToken).ConfigureAwait(false);
        await PutManifestAsync(descriptor, bytes, tag, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushManifestAsync(Descriptor expected, Stream content, string target, CancellationToken cancellationToken)
    {
        if (expected.Size > _client.Options.MaxManifestBytes)
        {
            throw new SizeLimitExceededException(
                $"push manifest {Name}{Separator(target)}{target}: {expected.Size} bytes is over the limit of {_client.Options.MaxManifestBytes}");
        }

        var bytes = await ContentExtensions.ReadVerifiedAsync(content, expected, cancellationToken).ConfigureAwait(false);
        await PutManifestAsync(expected, bytes, target, cancellationToken).ConfigureAwait(false);
    }

    private async Task PutManifestAsync(Descriptor expected, byte[] bytes, string target, CancellationToken cancellationToken)
    {
        var operation = $"push manifest {Name}{Separator(target)}{target}";
        using var response = await SendAsync(_pullPush, () =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(expected.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, Url($"manifests/{target}")) { Content = content };
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        if (HeaderDigest(response, operation) is { } stored && stored != expected.Digest)
        {
            throw ErrorResponse.Mismatch(operation, $"the registry stored {stored}, not {expected.Digest}");
        }

        if (SubjectOf(expected.MediaType, bytes) is not { } subject)
        {
            return;
        }

        if (response.Headers.Contains(SubjectHeader))
        {
            _referrersApi = true;
            return;
        }

        // A registry that did not take note of the subject leaves the referrers index (tag schema) to the client.
        await UpdateReferrersIndexAsync(subject, ReferrerDescriptor(expected, bytes), add: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task PushBlobAsync(Descriptor expected, Stream content, CancellationToken cancellationToken)
    {
        if (await ExistsAsync(expected, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var operation = $"push blob {Name}@{expected.Digest}";
        using var start = await SendAsync(_pullPush, () => new HttpRequestMessage(HttpMethod.Post, Url("blobs/uploads/")), cancellationToken).ConfigureAwait(false);
        if (start.StatusCode != HttpStatusCode.Accepted)
        {
            throw await ErrorResponse.ToExceptionAsync(start, operation, cancellationToken).ConfigureAwait(false);
        }

        await UploadAsync(UploadLocation(start, operation), expected, content, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a blob into an upload session the registry opened: one PUT, or PATCH chunks then PUT.</summary>
    private async Task UploadAsync(Uri location, Descriptor expected, Stream content, string operation, CancellationToken cancellationToken)
    {
        if (expected.Size <= _client.Options.MonolithicUploadLimit)
        {
            var start = content.CanSeek ? content.Position : 0;
            using var response = await SendAsync(_pullPush, () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, expected.Digest))
            {
                Content = new ReplayableContent(content, start, expected),
            }, cancellationToken).ConfigureAwait(false);
            await CompleteUploadAsync(response, expected, operation, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Hashing on the way out means a source that is not what it claims fails here, before the final PUT.
        await using var verifying = new VerifyingStream(content, expected, leaveOpen: true);
        var buffer = new byte[_client.Options.ChunkSize];
        long offset = 0;
        while (offset < expected.Size)
        {
            var length = await verifying.ReadAtLeastAsync(buffer, (int)Math.Min(buffer.Length, expected.Size - offset), throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (length == 0)
            {
                throw ErrorResponse.Mismatch(operation, $"the source ended after {offset} of {expected.Size} bytes");
            }

            var range = $"{offset}-{offset + length - 1}";
            using var response = await SendAsync(_pullPush, () =>
            {
                // The buffer is not touched again until this request (and any retry of it) is done.
                var body = new ByteArrayContent(buffer, 0, length);
                body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

                // The distribution spec's Content-Range has no "bytes " unit, which .NET's typed header insists on.
                body.Headers.TryAddWithoutValidation("Content-Range", range);
                return new HttpRequestMessage(HttpMethod.Patch, location) { Content = body };
            }, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            location = UploadLocation(response, operation);
            offset += length;
        }

        // Reading past the end makes the verifier refuse trailing bytes before the registry is told to commit.
        _ = await verifying.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false);
        using var commit = await SendAsync(_pullPush, () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, expected.Digest))
        {
            Content = new ByteArrayContent([]),
        }, cancellationToken).ConfigureAwait(false);
        await CompleteUploadAsync(commit, expected, operation, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CompleteUploadAsync(HttpResponseMessage response, Descriptor expected, string operation, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        if (HeaderDigest(response, operation) is { } stored && stored != expected.Digest)
        {
            throw ErrorResponse.Mismatch(operation, $"the registry stored {stored}, not {expected.Digest}");
        }
    }

    public async Task MountAsync(Descriptor descriptor, string fromRepository, Func<CancellationToken, Task<Stream>>? getContent = null, CancellationToken cancellationToken = default)
    {
        var operation = $"mount {descriptor.Digest} from {Reference.Registry}/{fromRepository} into {Name}";
        IReadOnlyList<string> scopes = [.. _pullPush, Scopes.Repository(fromRepository, "pull")];
        var query = $"blobs/uploads/?mount={Uri.EscapeDataString(descriptor.Digest)}&from={Uri.EscapeDataString(fromRepository)}";
        using var response = await SendAsync(scopes, () => new HttpRequestMessage(HttpMethod.Post, Url(query)), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return;
        }

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
        }

        // The registry did not mount but opened an upload session: send the bytes ourselves.
        var location = UploadLocation(response, operation);
        var source = getContent is not null
            ? await getContent(cancellationToken).ConfigureAwait(false)
            : await _client.GetRepository($"{Reference.Registry}/{fromRepository}")
                .FetchAsync(descriptor, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await UploadAsync(location, descriptor, source, operation, cancellationToken).ConfigureAwait(false);
        }
    }

    private Uri UploadLocation(HttpResponseMessage response, string operation)
    {
        var location = response.Headers.Location
            ?? throw ErrorResponse.Protocol(operation, response, "the registry opened an upload without a Location header");
        return location.IsAbsoluteUri ? location : new Uri(_client.BaseUri(Reference), location);
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }

    // ---- tags and referrers ------------------------------------------------------------------------------------

    public async IAsyncEnumerable<string> ListTagsAsync(string? last = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var operation = $"list tags of {Name}";
        Uri? next = Url("tags/list" + (last is null ? "" : "?last=" + Uri.EscapeDataString(last)));
        while (next is not null)
        {
            var page = next;
            using var response = await SendAsync(_pull, () => new HttpRequestMessage(HttpMethod.Get, page), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            var body = await ReadBoundedAsync(response, _client.Options.MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
            foreach (var tag in ParseTags(body, operation))
            {
                yield return tag;
            }

            next = NextPage(response, page);
        }
    }

    public async IAsyncEnumerable<Descriptor> FetchReferrersAsync(Descriptor subject, string? artifactType = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Descriptor>? fromApi = _referrersApi == false ? null
            : await TryReferrersApiAsync(subject, artifactType, cancellationToken).ConfigureAwait(false);
        var referrers = fromApi ?? await ReferrersFromTagAsync(subject, cancellationToken).ConfigureAwait(false);
        foreach (var referrer in referrers)
        {
            if (artifactType is null || referrer.ArtifactType == artifactType)
            {
                yield return referrer;
            }
        }
    }

    /// <returns>The referrers, or null when this registry has no referrers API.</returns>
    private async Task<IReadOnlyList<Descriptor>?> TryReferrersApiAsync(Descriptor subject, string? artifactType, CancellationToken cancellationToken)
    {
        var operation = $"list referrers of {Name}@{subject.Digest}";
        var result = new List<Descriptor>();
        Uri? next = Url($"referrers/{subject.Digest}" + (artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType)));
        while (next is not null)
        {
            var page = next;
            using var response = await SendAsync(_pull, () => new HttpRequestMessage(HttpMethod.Get, page), cancellationToken).ConfigureAwait(false);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (response.StatusCode == HttpStatusCode.NotFound || (response.IsSuccessStatusCode && mediaType != MediaTypes.ImageIndex))
            {
                // The spec's test for support: anything but an image index means the API is not there.
                _referrersApi = false;
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            _referrersApi = true;
            var body = await ReadBoundedAsync(response, _client.Options.MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
            result.AddRange(OciJson.Deserialize<Oci.Index>(body, $"the referrers index of {subject.Digest}").Manifests);
            next = NextPage(response, page);
        }

        return result;
    }

    private async Task<IReadOnlyList<Descriptor>> ReferrersFromTagAsync(Descriptor subject, CancellationToken cancellationToken)
    {
        try
        {
            var (_, bytes) = await FetchManifestAsync(ReferrersTag(subject), null, cancellationToken).ConfigureAwait(false);
            return OciJson.Deserialize<Oci.Index>(bytes, $"the referrers index {ReferrersTag(subject)}").Manifests;
        }
        catch (RegistryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>The tag schema fallback: <c>&lt;alg&gt;-&lt;hex&gt;</c> names an index of a subject's referrers.</summary>
    public static string ReferrersTag(Descriptor subject)
    {
        var (algorithm, encoded) = Oci.Digest.Split(Oci.Digest.Validate(subject.Digest));
        return $"{algorithm}-{encoded}";
    }

    private async Task UpdateReferrersIndexAsync(Descriptor subject, Descriptor referrer, bool add, CancellationToken cancellationToken)
    {
        var tag = ReferrersTag(subject);
        var gate = ReferrersLocks[(int)((uint)StringComparer.Ordinal.GetHashCode($"{Name}:{tag}") % ReferrersLocks.Length)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Descriptor? old = null;
            List<Descriptor> manifests = [];
            try
            {
                var (descriptor, bytes) = await FetchManifestAsync(tag, null, cancellationToken).ConfigureAwait(false);
                old = descriptor;
                manifests.AddRange(OciJson.Deserialize<Oci.Index>(bytes, $"the referrers index {tag}").Manifests);
            }
            catch (RegistryNotFoundException)
            {
            }

            var present = manifests.FindIndex(m => m.Digest == referrer.Digest);
            if (add == present >= 0)
            {
                return;
            }

            if (add)
            {
                manifests.Add(referrer);
            }
            else
            {
                manifests.RemoveAt(present);
            }

            var index = OciJson.Serialize(new Oci.Index { Manifests = manifests });
            var indexDescriptor = Descriptor.Create(index, MediaTypes.ImageIndex);
            await PutManifestAsync(indexDescriptor, index, tag, cancellationToken).ConfigureAwait(false);

            if (old is not null && old.Digest != indexDescriptor.Digest)
            {
                // The superseded index is garbage now; a registry that forbids deletes keeps it, which is harmless.
                try
                {
                    using var _ = await SendAsync(_delete, () => new HttpRequestMessage(HttpMethod.Delete, Url($"manifests/{old.Digest}")), cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException)
                {
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private static Descriptor ReferrerDescriptor(Descriptor manifest, byte[] bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        var artifactType = Text(root, "artifactType")
            ?? (root.TryGetProperty("config", out var config) ? Text(config, "mediaType") : null);
        Dictionary<string, string>? annotations = null;
        if (root.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object)
        {
            annotations = a.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        }

        return manifest.Basic() with { ArtifactType = artifactType, Annotations = annotations };

        static string? Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private static Descriptor? SubjectOf(string mediaType, byte[] bytes)
    {
        if (!MediaTypes.IsManifestOrIndex(mediaType))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object
                ? subject.Deserialize<Descriptor>(OciJson.Options)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /// <summary>A tag or digest from what a caller passed: a bare tag, a digest, or a full reference to this repository.</summary>
    private string ContentReference(string reference)
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

    private static string Separator(string target) => Oci.Digest.IsValid(target) ? "@" : ":";

    private static string? HeaderDigest(HttpResponseMessage response, string operation)
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

    private static string MediaTypeOf(HttpResponseMessage response, byte[]? body)
    {
        var declared = response.Content.Headers.ContentType?.MediaType;
        if (MediaTypes.IsManifestOrIndex(declared) || (declared is not null && declared != "application/json" && declared != "application/octet-stream" && body is null))
        {
            return declared!;
        }

        return (body is null ? null : OciJson.PeekMediaType(body)) ?? declared ?? MediaTypes.ImageManifest;
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long limit, string operation, CancellationToken cancellationToken)
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

    private static Uri? NextPage(HttpResponseMessage response, Uri current) =>
        response.Headers.TryGetValues("Link", out var links) && LinkHeader.Next(links) is { } next
            ? new Uri(current, next)
            : null;

    public override string ToString() => Name;
}
