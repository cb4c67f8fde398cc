using System.Text;
using System.Text.Json;
using OrasAssemble.Text;

namespace OrasAssemble.Registry.Auth;

/// <summary>The parts of a docker <c>config.json</c> that decide credentials; everything else is ignored here.</summary>
internal sealed record DockerConfig(
    IReadOnlyList<KeyValuePair<string, Credential>> Auths,
    IReadOnlyList<KeyValuePair<string, string>> CredHelpers,
    string? CredsStore)
{
    public static DockerConfig Empty { get; } = new([], [], null);

    /// <param name="origin">The file or secret key the JSON came from, for error messages.</param>
    public static DockerConfig Parse(ReadOnlySpan<byte> json, string origin)
    {
        if (IsBlank(json))
        {
            // docker itself accepts an empty file and treats it as an empty configuration.
            return Empty;
        }

        using var document = ParseDocument(json, origin);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CredentialConfigException(origin, $"expected a JSON object, found {Describe(root.ValueKind)}");
        }

        var auths = root.TryGetProperty("auths", out var authsElement) && authsElement.ValueKind != JsonValueKind.Null
            ? ParseAuths(authsElement, origin, "auths")
            : [];
        var helpers = root.TryGetProperty("credHelpers", out var helpersElement) && helpersElement.ValueKind != JsonValueKind.Null
            ? ParseHelpers(helpersElement, origin)
            : [];
        var store = root.TryGetProperty("credsStore", out var storeElement)
            ? OptionalString(storeElement, origin, "credsStore")
            : null;
        return new DockerConfig(auths, helpers, string.IsNullOrEmpty(store) ? null : store);
    }

    /// <summary>
    /// Reads a map of server address to auth entry: the <c>auths</c> object of a config.json, or the whole of a
    /// legacy <c>.dockercfg</c>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, Credential>> ParseAuths(JsonElement auths, string origin, string path)
    {
        if (auths.ValueKind != JsonValueKind.Object)
        {
            throw new CredentialConfigException(origin, $"\"{path}\" must be an object, found {Describe(auths.ValueKind)}");
        }

        var result = new List<KeyValuePair<string, Credential>>();
        foreach (var entry in auths.EnumerateObject())
        {
            result.Add(new(entry.Name, ParseAuthEntry(entry.Value, origin, $"{path}.{QuotedValue.Of(entry.Name)}")));
        }

        return result;
    }

    public static JsonDocument ParseDocument(ReadOnlySpan<byte> json, string origin)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            // JsonException's message gives the position and at most one character of content: safe to pass on.
            throw new CredentialConfigException(origin, $"not valid JSON: {e.Message}", e);
        }
    }

    public static bool IsBlank(ReadOnlySpan<byte> json) => json.Trim(" \t\r\n"u8).IsEmpty;

    public Credential FindAuth(string registry) =>
        DockerConfigKeys.FindBest(Auths, registry) ?? Credential.Empty;

    /// <summary>The helper name for the registry: its <c>credHelpers</c> entry, else <c>credsStore</c>, else null.</summary>
    public string? FindHelper(string registry) =>
        DockerConfigKeys.FindBest(CredHelpers, registry) is { Length: > 0 } helper ? helper : CredsStore;

    private static Credential ParseAuthEntry(JsonElement entry, string origin, string path)
    {
        if (entry.ValueKind == JsonValueKind.Null)
        {
            return Credential.Empty;
        }

        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new CredentialConfigException(origin, $"{path} must be an object, found {Describe(entry.ValueKind)}");
        }

        var username = Field(entry, "username", origin, path);
        var password = Field(entry, "password", origin, path);
        var auth = Field(entry, "auth", origin, path);
        if (!string.IsNullOrEmpty(auth))
        {
            // As in docker, "auth" wins over separate username/password fields.
            (username, password) = DecodeAuth(auth, origin, path);
        }

        var credential = new Credential(
            NullIfEmpty(username),
            NullIfEmpty(password),
            NullIfEmpty(Field(entry, "identitytoken", origin, path)),
            NullIfEmpty(Field(entry, "registrytoken", origin, path)));
        return credential.IsEmpty ? Credential.Empty : credential;
    }

    private static (string Username, string Password) DecodeAuth(string auth, string origin, string path)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(auth.Trim());
        }
        catch (FormatException e)
        {
            throw new CredentialConfigException(origin, $"{path}.auth is not valid base64", e);
        }

        var text = new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(bytes);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new CredentialConfigException(origin, $"{path}.auth must be base64 of \"username:password\"");
        }

        // Some tools pad the decoded value with NULs; docker strips them too.
        return (text[..colon], text[(colon + 1)..].Trim('\0'));
    }

    private static List<KeyValuePair<string, string>> ParseHelpers(JsonElement helpers, string origin)
    {
        if (helpers.ValueKind != JsonValueKind.Object)
        {
            throw new CredentialConfigException(origin, $"\"credHelpers\" must be an object, found {Describe(helpers.ValueKind)}");
        }

        var result = new List<KeyValuePair<string, string>>();
        foreach (var entry in helpers.EnumerateObject())
        {
            var name = OptionalString(entry.Value, origin, $"credHelpers.{QuotedValue.Of(entry.Name)}");
            if (!string.IsNullOrEmpty(name))
            {
                result.Add(new(entry.Name, name));
            }
        }

        return result;
    }

    private static string? Field(JsonElement entry, string name, string origin, string path) =>
        entry.TryGetProperty(name, out var value) ? OptionalString(value, origin, $"{path}.{name}") : null;

    private static string? OptionalString(JsonElement value, string origin, string path) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => throw new CredentialConfigException(origin, $"{path} must be a string, found {Describe(value.ValueKind)}"),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
