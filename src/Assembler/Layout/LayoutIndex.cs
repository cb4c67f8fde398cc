using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrasAssemble.Oci;
using OrasAssemble.Text;

namespace OrasAssemble.Layout;

/// <summary>
/// The <c>index.json</c> of a layout, kept as a JSON tree so that fields this code does not know (written by other
/// tools or a later spec) survive a rewrite. Each entry of <c>manifests</c> is a descriptor; a tag is an entry's
/// <c>org.opencontainers.image.ref.name</c> annotation, and an entry without one records an untagged manifest.
/// </summary>
internal sealed class LayoutIndex
{
    private readonly JsonObject _root;
    private readonly JsonArray _manifests;
    private readonly List<Descriptor> _entries;

    private LayoutIndex(JsonObject root, JsonArray manifests, List<Descriptor> entries)
    {
        _root = root;
        _manifests = manifests;
        _entries = entries;
    }

    /// <summary>The entries in file order, annotations included.</summary>
    public IReadOnlyList<Descriptor> Entries => _entries;

    public static LayoutIndex CreateEmpty()
    {
        var manifests = new JsonArray();
        var root = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.ImageIndex,
            ["manifests"] = manifests,
        };
        return new LayoutIndex(root, manifests, []);
    }

    /// <param name="what">Names the file in errors, e.g. its path.</param>
    public static LayoutIndex Parse(ReadOnlySpan<byte> content, string what)
    {
        JsonNode? node;
        try
        {
            var reader = new Utf8JsonReader(content);
            node = JsonNode.Parse(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }

        if (node is not JsonObject root)
        {
            throw new InvalidDataException($"{what} must be a JSON object (an OCI image index)");
        }

        if (root["manifests"] is null)
        {
            root["manifests"] = new JsonArray();
        }

        if (root["manifests"] is not JsonArray manifests)
        {
            throw new InvalidDataException($"{what}: \"manifests\" must be an array");
        }

        var entries = new List<Descriptor>(manifests.Count);
        for (var i = 0; i < manifests.Count; i++)
        {
            entries.Add(ParseEntry(manifests[i], $"{what}: manifests[{i}]"));
        }

        return new LayoutIndex(root, manifests, entries);
    }

    public byte[] Serialize() => Encoding.UTF8.GetBytes(_root.ToJsonString(OciJson.Options));

    public static string? RefName(Descriptor entry) =>
        entry.Annotations is not null && entry.Annotations.TryGetValue(Annotations.RefName, out var name) ? name : null;

    /// <summary>The descriptor without the tag annotation: what resolving returns and what an untagged entry holds.</summary>
    public static Descriptor WithoutRefName(Descriptor descriptor)
    {
        if (descriptor.Annotations is null || !descriptor.Annotations.ContainsKey(Annotations.RefName))
        {
            return descriptor;
        }

        var rest = descriptor.Annotations.Where(a => a.Key != Annotations.RefName).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return descriptor with { Annotations = rest.Count == 0 ? null : rest };
    }

    public bool Contains(string digest) => _entries.Exists(e => e.Digest == digest);

    /// <summary>Records a manifest as an untagged entry unless some entry already lists its digest.</summary>
    /// <returns>Whether the index changed.</returns>
    public bool Record(Descriptor descriptor)
    {
        if (Contains(descriptor.Digest))
        {
            return false;
        }

        Append(WithoutRefName(descriptor));
        return true;
    }

    /// <summary>Points <paramref name="tag"/> at <paramref name="descriptor"/>, taking it off any other entry.</summary>
    /// <returns>Whether the index changed.</returns>
    public bool Tag(Descriptor descriptor, string tag)
    {
        var changed = false;
        var alreadyTagged = false;
        var touched = new HashSet<string>(StringComparer.Ordinal) { descriptor.Digest };
        for (var i = 0; i < _entries.Count; i++)
        {
            if (RefName(_entries[i]) != tag)
            {
                continue;
            }

            if (_entries[i].Digest == descriptor.Digest && !alreadyTagged)
            {
                alreadyTagged = true;
                continue;
            }

            // The tag moves away; the manifest it named stays recorded, untagged, as a registry keeps it too.
            SetRefName(i, null);
            touched.Add(_entries[i].Digest);
            changed = true;
        }

        if (!alreadyTagged)
        {
            var untagged = _entries.FindIndex(e => e.Digest == descriptor.Digest && RefName(e) is null);
            if (untagged >= 0)
            {
                SetRefName(untagged, tag);
            }
            else
            {
                Append(WithoutRefName(descriptor) with { Annotations = WithRefName(WithoutRefName(descriptor).Annotations, tag) });
            }

            changed = true;
        }

        return RemoveRedundantUntagged(touched) | changed;
    }

    /// <summary>Drops every entry for the digest, tagged or not.</summary>
    /// <returns>Whether there was one.</returns>
    public bool Remove(string digest)
    {
        var removed = false;
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Digest == digest)
            {
                RemoveAt(i);
                removed = true;
            }
        }

        return removed;
    }

    private static Descriptor ParseEntry(JsonNode? node, string what)
    {
        if (node is not JsonObject)
        {
            throw new InvalidDataException($"{what} must be a descriptor object");
        }

        Descriptor? descriptor;
        try
        {
            descriptor = node.Deserialize<Descriptor>(OciJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not a valid descriptor: {e.Message}", e);
        }

        if (descriptor is null || !Digest.IsValid(descriptor.Digest))
        {
            throw new InvalidDataException($"{what}: invalid digest {QuotedValue.Of(descriptor?.Digest)}");
        }

        return descriptor;
    }

    private static Dictionary<string, string> WithRefName(IReadOnlyDictionary<string, string>? annotations, string tag)
    {
        var result = annotations is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : annotations.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        result[Annotations.RefName] = tag;
        return result;
    }

    // Edits the JSON entry in place so unknown fields of that entry are kept.
    private void SetRefName(int i, string? tag)
    {
        var node = _manifests[i]!.AsObject();
        if (tag is null)
        {
            if (node["annotations"] is JsonObject annotations)
            {
                annotations.Remove(Annotations.RefName);
                if (annotations.Count == 0)
                {
                    node.Remove("annotations");
                }
            }

            _entries[i] = WithoutRefName(_entries[i]);
        }
        else
        {
            if (node["annotations"] is not JsonObject annotations)
            {
                annotations = [];
                node["annotations"] = annotations;
            }

            annotations[Annotations.RefName] = tag;
            _entries[i] = _entries[i] with { Annotations = WithRefName(_entries[i].Annotations, tag) };
        }
    }

    // After a tag moved, the same digest may be listed twice with one entry untagged: keep the index minimal,
    // but only for digests this change touched, so entries other tools wrote are left alone.
    private bool RemoveRedundantUntagged(IReadOnlySet<string> digests)
    {
        var removed = false;
        foreach (var digest in digests)
        {
            var positions = Enumerable.Range(0, _entries.Count).Where(i => _entries[i].Digest == digest).ToList();
            var keep = positions.FirstOrDefault(i => RefName(_entries[i]) is not null, positions.FirstOrDefault(-1));
            foreach (var i in positions.Where(i => i != keep && RefName(_entries[i]) is null).OrderDescending())
            {
                RemoveAt(i);
                removed = true;
            }
        }

        return removed;
    }

    private void Append(Descriptor descriptor)
    {
        _manifests.Add(JsonSerializer.SerializeToNode(descriptor, OciJson.Options));
        _entries.Add(descriptor);
    }

    private void RemoveAt(int i)
    {
        _manifests.RemoveAt(i);
        _entries.RemoveAt(i);
    }
}
