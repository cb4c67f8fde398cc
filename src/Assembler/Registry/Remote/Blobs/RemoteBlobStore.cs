using System.Net;
using System.Net.Http.Headers;
using OrasAssemble.Content;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Registry.Remote.Blobs;

/// <summary>
/// The blobs of one repository (<c>/v2/&lt;name&gt;/blobs/</c>): fetched with resume after a dropped connection and
/// verified as they are read, pushed in one PUT or in PATCH chunks, mounted from another repository.
/// </summary>
internal sealed class RemoteBlobStore(RepositoryEndpoint endpoint) : IRemoteStore
{
    private string Name => endpoint.Name;

    public async Task<bool> ExistsAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        using var response = await endpoint.SendAsync(endpoint.Pull, () => new HttpRequestMessage(HttpMethod.Head, endpoint.Url($"blobs/{target.Digest}")), cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The blob's body as a <see cref="VerifyingStream"/> for <paramref name="target"/>: a store it is pushed into
    /// sees that the bytes are already being checked and does not hash them again.
    /// </summary>
    public async Task<Stream> FetchAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        var operation = $"fetch blob {Name}@{target.Digest}";
        var what = $"blob {target.Digest}";
        while (true)
        {
            var (response, mirror) = await endpoint.SendDigestPullAsync(target.Digest, what, at => BlobRequest(at, target.Digest, from: 0), cancellationToken).ConfigureAwait(false);
            try
            {
                if (!response.IsSuccessStatusCode)
                {
                    throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
                }

                if (response.Content.Headers.ContentLength is { } length && length != target.Size)
                {
                    if (mirror is not null)
                    {
                        // A mirror that announces the wrong size is passed over at once; the loop asks the next one.
                        endpoint.MirrorLied(mirror, target.Digest, what, $"size mismatch: expected {target.Size} bytes, it sends {length}");
                        response.Dispose();
                        continue;
                    }

                    throw ErrorResponse.Mismatch(operation, $"size mismatch: expected {target.Size} bytes, the registry sends {length}");
                }

                return await OpenBodyAsync(target, response, mirror, operation, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// The body, verified and resumed from where it broke off (at a mirror or the registry, whichever answers the
    /// resume); when a mirror answered first, wrong bytes are blamed on the mirrors that sent any of them.
    /// </summary>
    private async Task<Stream> OpenBodyAsync(Descriptor target, HttpResponseMessage response, string? mirror, string operation, CancellationToken cancellationToken)
    {
        var what = $"blob {target.Digest}";
        var servedBy = new HashSet<string>(StringComparer.Ordinal);
        if (mirror is not null)
        {
            servedBy.Add(mirror);
        }

        var registry = response.RequestMessage?.RequestUri?.Authority ?? endpoint.Reference.Registry;
        Stream body = await ResumableBlobStream.OpenAsync(target, response, async (from, ct) =>
        {
            var (resumed, resumedFrom) = await endpoint.SendDigestPullAsync(target.Digest, what, at => BlobRequest(at, target.Digest, from), ct).ConfigureAwait(false);
            if (resumedFrom is not null)
            {
                lock (servedBy)
                {
                    servedBy.Add(resumedFrom);
                }
            }

            return resumed;
        }, endpoint.Options.MaxResumes, operation,
        (attempt, attempts, cause, stalled) => endpoint.Client.ReportRetry(
            new RegistryRetry(registry, what, attempt, attempts, cause, TimeSpan.Zero) { TimedOut = stalled }),
        cancellationToken).ConfigureAwait(false);
        if (mirror is null)
        {
            return new VerifyingStream(body, target);
        }

        // The one check of these bytes; when it fails, every mirror that sent any of them is blamed and passed over
        // for this digest, and the reader drops what it wrote and fetches again.
        return new VerifyingStream(body, target, onMismatch: failure =>
        {
            string[] liars;
            lock (servedBy)
            {
                liars = [.. servedBy];
            }

            foreach (var liar in liars)
            {
                endpoint.MirrorLied(liar, target.Digest, what, failure.Message);
            }

            return new MirrorContentException($"blob {target.Digest} from mirror {string.Join(", ", liars)}: {failure.Message}; nothing of it was kept");
        });
    }

    public async Task PushAsync(Descriptor expected, Stream content, CancellationToken cancellationToken = default)
    {
        if (await ExistsAsync(expected, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var operation = $"push blob {Name}@{expected.Digest}";
        using var start = await endpoint.SendAsync(endpoint.PullPush, () => new HttpRequestMessage(HttpMethod.Post, endpoint.Url("blobs/uploads/")), cancellationToken).ConfigureAwait(false);
        if (start.StatusCode != HttpStatusCode.Accepted)
        {
            throw await ErrorResponse.ToExceptionAsync(start, operation, cancellationToken).ConfigureAwait(false);
        }

        await UploadAsync(UploadLocation(start, operation), expected, content, operation, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(Descriptor target, CancellationToken cancellationToken = default)
    {
        using var response = await endpoint.SendAsync(endpoint.Delete, () => new HttpRequestMessage(HttpMethod.Delete, endpoint.Url($"blobs/{target.Digest}")), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent))
        {
            throw await ErrorResponse.ToExceptionAsync(response, $"delete {Name}@{target.Digest}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task MountAsync(Descriptor descriptor, string fromRepository, Func<CancellationToken, Task<Stream>>? getContent, CancellationToken cancellationToken)
    {
        var operation = $"mount {descriptor.Digest} from {endpoint.Reference.Registry}/{fromRepository} into {Name}";
        IReadOnlyList<string> scopes = [.. endpoint.PullPush, Scopes.Repository(fromRepository, "pull")];
        var query = $"blobs/uploads/?mount={Uri.EscapeDataString(descriptor.Digest)}&from={Uri.EscapeDataString(fromRepository)}";
        using var response = await endpoint.SendAsync(scopes, () => new HttpRequestMessage(HttpMethod.Post, endpoint.Url(query)), cancellationToken).ConfigureAwait(false);
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
            : await endpoint.Client.GetRepository($"{endpoint.Reference.Registry}/{fromRepository}")
                .FetchAsync(descriptor, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await UploadAsync(location, descriptor, source, operation, cancellationToken).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage BlobRequest(Reference at, string digest, long from)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, endpoint.Url(at, $"blobs/{digest}"));
        if (from > 0)
        {
            request.Headers.Range = new RangeHeaderValue(from, null);
        }

        return request;
    }

    /// <summary>Sends a blob into an upload session the registry opened: one PUT, or PATCH chunks then PUT.</summary>
    private async Task UploadAsync(Uri location, Descriptor expected, Stream content, string operation, CancellationToken cancellationToken)
    {
        if (expected.Size <= endpoint.Options.MonolithicUploadLimit)
        {
            var start = content.CanSeek ? content.Position : 0;
            using var response = await endpoint.SendAsync(endpoint.PullPush, () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, expected.Digest))
            {
                Content = new ReplayableContent(content, start, expected),
            }, cancellationToken).ConfigureAwait(false);
            await CompleteUploadAsync(response, expected, operation, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Hashing on the way out means a source that is not what it claims fails here, before the final PUT.
        await using var verifying = new VerifyingStream(content, expected, leaveOpen: true);
        var buffer = new byte[endpoint.Options.ChunkSize];
        long offset = 0;
        while (offset < expected.Size)
        {
            var length = await verifying.ReadAtLeastAsync(buffer, (int)Math.Min(buffer.Length, expected.Size - offset), throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (length == 0)
            {
                throw ErrorResponse.Mismatch(operation, $"the source ended after {offset} of {expected.Size} bytes");
            }

            var range = $"{offset}-{offset + length - 1}";
            using var response = await endpoint.SendAsync(endpoint.PullPush, () =>
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
        using var commit = await endpoint.SendAsync(endpoint.PullPush, () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, expected.Digest))
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

        if (RepositoryEndpoint.HeaderDigest(response, operation) is { } stored && stored != expected.Digest)
        {
            throw ErrorResponse.Mismatch(operation, $"the registry stored {stored}, not {expected.Digest}");
        }
    }

    private Uri UploadLocation(HttpResponseMessage response, string operation)
    {
        var location = response.Headers.Location
            ?? throw ErrorResponse.Protocol(operation, response, "the registry opened an upload without a Location header");
        return location.IsAbsoluteUri ? location : new Uri(endpoint.Client.BaseUri(endpoint.Reference), location);
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }
}
