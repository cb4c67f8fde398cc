using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OrasAssemble.Oci;
using OrasAssemble.Registry.Remote.Manifests;

namespace OrasAssemble.Registry.Remote.Referrers;

/// <summary>
/// The referrers of one repository's manifests: listed through the referrers API when the registry serves it, else
/// read from, and kept in, the tag schema's referrers index (<c>&lt;alg&gt;-&lt;hex&gt;</c>).
/// </summary>
internal sealed class RemoteReferrers(RepositoryEndpoint endpoint, RemoteManifestStore manifests)
{
    /// <summary>A registry that took note of a pushed manifest's subject answers with this header.</summary>
    private const string SubjectHeader = "OCI-Subject";

    // Updates of one subject's referrers index (the tag fallback) must not interleave within this process.
    // A fixed set of stripes keeps that bounded however many subjects a long-lived process sees.
    private static readonly SemaphoreSlim[] IndexLocks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private bool? _api;

    /// <summary>Whether the registry serves the referrers API; null until a call found out.</summary>
    public bool? SupportsApi => _api;

    public async IAsyncEnumerable<Descriptor> ListAsync(Descriptor subject, string? artifactType, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IReadOnlyList<Descriptor>? fromApi = _api == false ? null
            : await TryApiAsync(subject, artifactType, cancellationToken).ConfigureAwait(false);
        var referrers = fromApi ?? await FromTagAsync(subject, cancellationToken).ConfigureAwait(false);
        foreach (var referrer in referrers)
        {
            if (artifactType is null || referrer.ArtifactType == artifactType)
            {
                yield return referrer;
            }
        }
    }

    /// <summary>The tag schema fallback: <c>&lt;alg&gt;-&lt;hex&gt;</c> names an index of a subject's referrers.</summary>
    public static string Tag(Descriptor subject)
    {
        var (algorithm, encoded) = Oci.Digest.Split(Oci.Digest.Validate(subject.Digest));
        return $"{algorithm}-{encoded}";
    }

    /// <summary>The subject a manifest or index names, if any; null for anything else.</summary>
    public static Descriptor? SubjectOf(string mediaType, byte[] bytes)
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

    /// <summary>
    /// After <paramref name="manifest"/> was pushed: a registry that did not take note of its subject leaves the
    /// referrers index (tag schema) to the client.
    /// </summary>
    public async Task AddAsync(Descriptor subject, Descriptor manifest, byte[] bytes, HttpResponseHeaders pushed, CancellationToken cancellationToken)
    {
        if (pushed.Contains(SubjectHeader))
        {
            _api = true;
            return;
        }

        await UpdateIndexAsync(subject, ReferrerDescriptor(manifest, bytes), add: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>After <paramref name="manifest"/> was deleted: drops it from its subject's index, unless the registry keeps referrers itself.</summary>
    public async Task RemoveAsync(Descriptor subject, Descriptor manifest, CancellationToken cancellationToken)
    {
        if (_api != true)
        {
            await UpdateIndexAsync(subject, manifest, add: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <returns>The referrers, or null when this registry has no referrers API.</returns>
    private async Task<IReadOnlyList<Descriptor>?> TryApiAsync(Descriptor subject, string? artifactType, CancellationToken cancellationToken)
    {
        var operation = $"list referrers of {endpoint.Name}@{subject.Digest}";
        var result = new List<Descriptor>();
        Uri? next = endpoint.Url($"referrers/{subject.Digest}" + (artifactType is null ? "" : "?artifactType=" + Uri.EscapeDataString(artifactType)));
        while (next is not null)
        {
            var page = next;
            using var response = await endpoint.SendAsync(endpoint.Pull, () => new HttpRequestMessage(HttpMethod.Get, page), cancellationToken).ConfigureAwait(false);
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (response.StatusCode == HttpStatusCode.NotFound || (response.IsSuccessStatusCode && mediaType != MediaTypes.ImageIndex))
            {
                // The spec's test for support: anything but an image index means the API is not there.
                _api = false;
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorResponse.ToExceptionAsync(response, operation, cancellationToken).ConfigureAwait(false);
            }

            _api = true;
            var body = await RepositoryEndpoint.ReadBoundedAsync(response, endpoint.Options.MaxManifestBytes, operation, cancellationToken).ConfigureAwait(false);
            result.AddRange(OciJson.Deserialize<Oci.Index>(body, $"the referrers index of {subject.Digest}").Manifests);
            next = RepositoryEndpoint.NextPage(response, page);
        }

        return result;
    }

    private async Task<IReadOnlyList<Descriptor>> FromTagAsync(Descriptor subject, CancellationToken cancellationToken)
    {
        try
        {
            var (_, bytes) = await manifests.FetchBytesAsync(Tag(subject), null, cancellationToken).ConfigureAwait(false);
            return OciJson.Deserialize<Oci.Index>(bytes, $"the referrers index {Tag(subject)}").Manifests;
        }
        catch (RegistryNotFoundException)
        {
            return [];
        }
    }

    private async Task UpdateIndexAsync(Descriptor subject, Descriptor referrer, bool add, CancellationToken cancellationToken)
    {
        var tag = Tag(subject);
        var gate = IndexLocks[(int)((uint)StringComparer.Ordinal.GetHashCode($"{endpoint.Name}:{tag}") % IndexLocks.Length)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Descriptor? old = null;
            List<Descriptor> entries = [];
            try
            {
                var (descriptor, bytes) = await manifests.FetchBytesAsync(tag, null, cancellationToken).ConfigureAwait(false);
                old = descriptor;
                entries.AddRange(OciJson.Deserialize<Oci.Index>(bytes, $"the referrers index {tag}").Manifests);
            }
            catch (RegistryNotFoundException)
            {
            }

            var present = entries.FindIndex(m => m.Digest == referrer.Digest);
            if (add == present >= 0)
            {
                return;
            }

            if (add)
            {
                entries.Add(referrer);
            }
            else
            {
                entries.RemoveAt(present);
            }

            // An index has no subject, so putting it records no referrer in turn.
            var index = OciJson.Serialize(new Oci.Index { Manifests = entries });
            var indexDescriptor = Descriptor.Create(index, MediaTypes.ImageIndex);
            await manifests.PutAsync(indexDescriptor, index, tag, cancellationToken).ConfigureAwait(false);

            if (old is not null && old.Digest != indexDescriptor.Digest)
            {
                // The superseded index is garbage now; a registry that forbids deletes keeps it, which is harmless.
                try
                {
                    using var _ = await endpoint.SendAsync(endpoint.Delete, () => new HttpRequestMessage(HttpMethod.Delete, endpoint.Url($"manifests/{old.Digest}")), cancellationToken).ConfigureAwait(false);
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
}
