using System.Globalization;
using System.Text;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// The canonical JSON form of a spec, the content of the spec artifact's layer: the same spec always gives
/// the same bytes, and so the same digest. Canonical means UTF-8 without BOM, no insignificant whitespace,
/// object keys sorted by UTF-16 code units (as RFC 8785), fields equal to their default left out (false,
/// empty lists and maps, absent optionals), modes as four octal digits, strings escaped only where JSON
/// requires it.
/// </summary>
public static class SpecJson
{
    public const string MediaType = SpecArtifact.LayerMediaType;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The canonical JSON of <paramref name="spec"/>, valid or not.</summary>
    /// <exception cref="ArgumentException">A string in the spec is not valid UTF-16.</exception>
    public static byte[] Serialize(AssemblySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var json = new StringBuilder();
        Write(json, ToTree(spec));
        try
        {
            return StrictUtf8.GetBytes(json.ToString());
        }
        catch (EncoderFallbackException invalid)
        {
            throw new ArgumentException("the spec contains a string with an unpaired UTF-16 surrogate", nameof(spec), invalid);
        }
    }

    /// <summary>Reads and validates a spec layer.</summary>
    /// <exception cref="InvalidSpecException">The content is not a valid spec; all problems are in the exception.</exception>
    public static ValidSpec Deserialize(ReadOnlySpan<byte> json, string? origin = null) =>
        SpecDocument.Load(json).GetValidSpec(origin);

    private static SortedDictionary<string, object> ToTree(AssemblySpec spec)
    {
        var root = Object();
        Put(root, "apiVersion", spec.ApiVersion);
        Put(root, "kind", spec.Kind);
        var metadata = Object();
        Put(metadata, "name", spec.Metadata.Name);
        Put(metadata, "annotations", Map(spec.Metadata.Annotations));
        Put(root, "metadata", metadata);
        if (spec.Base is { } image)
        {
            var baseImage = Object();
            Put(baseImage, "image", image.Image);
            Put(baseImage, "platform", image.Platform);
            Put(root, "base", baseImage);
        }

        if (spec.Mount is { } mount)
        {
            var mountObject = Object();
            Put(mountObject, "path", mount.Path);
            Put(root, "mount", mountObject);
        }

        var sources = Object();
        foreach (var (name, source) in spec.Sources)
        {
            var item = Object();
            Put(item, "ref", source.Ref);
            Put(item, "platform", source.Platform);
            Put(item, "mediaTypes", source.MediaTypes.Cast<object>().ToList());
            Put(item, "annotations", Map(source.Annotations));
            sources[name] = item;
        }

        Put(root, "sources", sources);
        Put(root, "steps", spec.Steps.Select(Step).Cast<object>().ToList());
        var options = Object();
        Put(options, "allowSetuid", spec.Options.AllowSetuid);
        Put(root, "options", options);
        return root;
    }

    private static SortedDictionary<string, object> Step(StepSpec step)
    {
        var body = Object();
        switch (step)
        {
            case CopyStep copy:
                Put(body, "from", copy.From);
                Put(body, "path", copy.Path);
                Put(body, "include", copy.Include.Cast<object>().ToList());
                Put(body, "exclude", copy.Exclude.Cast<object>().ToList());
                Put(body, "to", copy.To);
                Put(body, "mode", Mode(copy.Mode));
                Put(body, "overwrite", copy.Overwrite);

                // The default is left out, spelled or not, so both spellings have one digest.
                Put(body, "links", copy.Links == CopyStep.CopyLinks ? null : copy.Links);
                Put(body, "owner", Owner(copy.Owner));
                break;
            case RenameStep rename:
                Put(body, "path", rename.Path);
                Put(body, "to", rename.To);
                Put(body, "overwrite", rename.Overwrite);
                break;
            case RemoveStep remove:
                Put(body, "path", remove.Path);
                Put(body, "include", remove.Include.Cast<object>().ToList());
                Put(body, "exclude", remove.Exclude.Cast<object>().ToList());
                break;
            case LinkStep link:
                Put(body, "path", link.Path);
                Put(body, "target", link.Target);
                Put(body, "overwrite", link.Overwrite);
                break;
            case ModeStep mode:
                Put(body, "path", mode.Path);
                Put(body, "include", mode.Include.Cast<object>().ToList());
                Put(body, "exclude", mode.Exclude.Cast<object>().ToList());
                Put(body, "mode", Mode(mode.Mode));
                break;
        }

        var wrapper = Object();
        wrapper[step.Kind] = body;
        return wrapper;
    }

    private static SortedDictionary<string, object> Object() => new(StringComparer.Ordinal);

    private static SortedDictionary<string, object> Map(IReadOnlyDictionary<string, string> map)
    {
        var result = Object();
        foreach (var (key, value) in map)
        {
            result[key] = value;
        }

        return result;
    }

    // Leaves out what equals the default, so writing a default explicitly does not change the digest.
    private static void Put(SortedDictionary<string, object> target, string key, object? value)
    {
        var isDefault = value switch
        {
            null => true,
            false => true,
            List<object> list => list.Count == 0,
            SortedDictionary<string, object> map => map.Count == 0,
            _ => false,
        };
        if (!isDefault)
        {
            target[key] = value!;
        }
    }

    private static string? Owner(string? text) => SpecOwner.TryParse(text, out var owner) ? SpecOwner.Format(owner.Value) : text;

    private static string? Mode(string? text) => SpecMode.TryParse(text, out var mode) ? SpecMode.Format(mode.Value) : text;

    private static void Write(StringBuilder json, object value)
    {
        switch (value)
        {
            case string text:
                WriteString(json, text);
                break;
            case bool flag:
                json.Append(flag ? "true" : "false");
                break;
            case List<object> list:
                json.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        json.Append(',');
                    }

                    Write(json, list[i]);
                }

                json.Append(']');
                break;
            case SortedDictionary<string, object> map:
                json.Append('{');
                var first = true;
                foreach (var (key, item) in map)
                {
                    if (!first)
                    {
                        json.Append(',');
                    }

                    first = false;
                    WriteString(json, key);
                    json.Append(':');
                    Write(json, item);
                }

                json.Append('}');
                break;
            default:
                throw new InvalidOperationException($"unexpected value {value.GetType().Name} in a spec tree");
        }
    }

    private static void WriteString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    json.Append("\\\"");
                    break;
                case '\\':
                    json.Append("\\\\");
                    break;
                case '\b':
                    json.Append("\\b");
                    break;
                case '\f':
                    json.Append("\\f");
                    break;
                case '\n':
                    json.Append("\\n");
                    break;
                case '\r':
                    json.Append("\\r");
                    break;
                case '\t':
                    json.Append("\\t");
                    break;
                case < ' ':
                    json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    json.Append(c);
                    break;
            }
        }

        json.Append('"');
    }
}
