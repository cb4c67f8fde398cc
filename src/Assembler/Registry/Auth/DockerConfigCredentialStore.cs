using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrasAssemble.IO;

namespace OrasAssemble.Registry.Auth;

/// <summary>
/// Credentials from a docker <c>config.json</c>, the file <c>docker login</c> and <c>oras login</c> write:
/// <c>auths</c> entries in the file itself, or <c>credHelpers</c> / <c>credsStore</c> programs that keep them
/// elsewhere. The file is read on every call, so a login in another shell takes effect at once.
/// A missing file means anonymous access.
/// </summary>
public sealed class DockerConfigCredentialStore : ICredentialProvider
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // docker writes tab-indented JSON; staying close keeps diffs of the file small for people who track it.
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentCharacter = '\t',
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly IReadOnlyList<string> helperSearchPath;
    private readonly TimeSpan helperTimeout;

    // Serialises read-modify-write cycles of this process; docker offers nothing across processes either.
    private readonly SemaphoreSlim writeLock = new(1, 1);

    /// <param name="configPath">The <c>config.json</c> to read and write; it need not exist yet.</param>
    /// <param name="options">Where to look for credential helpers and how long to let them run.</param>
    public DockerConfigCredentialStore(string configPath, DockerConfigCredentialStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configPath);
        options ??= new DockerConfigCredentialStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HelperTimeout, TimeSpan.Zero, nameof(options));

        ConfigPath = Path.GetFullPath(configPath);
        helperTimeout = options.HelperTimeout;
        helperSearchPath = options.HelperSearchPath
            ?? (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
    }

    public string ConfigPath { get; }

    /// <summary>Where docker looks: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string DefaultConfigPath() => DefaultConfigPath(
        Environment.GetEnvironmentVariable("DOCKER_CONFIG"),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    internal static string DefaultConfigPath(string? dockerConfigDirectory, string? homeDirectory)
    {
        if (!string.IsNullOrEmpty(dockerConfigDirectory))
        {
            return Path.Combine(dockerConfigDirectory, "config.json");
        }

        if (string.IsNullOrEmpty(homeDirectory))
        {
            throw new InvalidOperationException(
                "cannot locate the docker config: neither DOCKER_CONFIG nor a home directory is set");
        }

        return Path.Combine(homeDirectory, ".docker", "config.json");
    }

    public async Task<Credential> GetAsync(string registry, CancellationToken cancellationToken = default)
    {
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        var config = DockerConfig.Parse(await ReadAsync(ConfigPath, cancellationToken).ConfigureAwait(false), ConfigPath);
        var helper = config.FindHelper(canonical);
        return helper is null
            ? config.FindAuth(canonical)
            : await Helper(helper).GetAsync(DockerServerAddress.ForRegistry(canonical), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Saves the credential for the registry, as <c>docker login</c> does: through the registry's credential helper
    /// when one is configured, otherwise in the file's <c>auths</c> (which is then created if needed, mode 0600).
    /// </summary>
    public async Task StoreAsync(string registry, Credential credential, CancellationToken cancellationToken = default)
    {
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        ArgumentNullException.ThrowIfNull(credential);
        if (credential.IsEmpty)
        {
            throw new ArgumentException("an empty credential cannot be stored; remove the entry instead", nameof(credential));
        }

        var serverAddress = DockerServerAddress.ForRegistry(canonical);
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var path = WriteTarget();
            var content = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
            var helper = DockerConfig.Parse(content, ConfigPath).FindHelper(canonical);
            if (helper is not null)
            {
                await Helper(helper).StoreAsync(serverAddress, credential, cancellationToken).ConfigureAwait(false);
                return;
            }

            var root = ParseNode(content);
            if (root["auths"] is not JsonObject auths)
            {
                auths = [];
                root["auths"] = auths;
            }

            var key = auths.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, serverAddress, StringComparison.OrdinalIgnoreCase))
                ?? serverAddress;
            if (auths[key] is not JsonObject entry)
            {
                entry = [];
                auths[key] = entry;
            }

            WriteCredential(entry, credential);
            await AtomicFile.WriteAsync(path, Serialize(root), PrivateFile, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// Forgets the registry's credential, as <c>docker logout</c> does: erased from its credential helper, or every
    /// <c>auths</c> entry naming that registry (in any spelling) removed. Removing what is not there is not an error.
    /// </summary>
    public async Task RemoveAsync(string registry, CancellationToken cancellationToken = default)
    {
        var canonical = DockerServerAddress.RequireRegistry(registry, nameof(registry));
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var path = WriteTarget();
            var content = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
            var helper = DockerConfig.Parse(content, ConfigPath).FindHelper(canonical);
            if (helper is not null)
            {
                await Helper(helper).EraseAsync(DockerServerAddress.ForRegistry(canonical), cancellationToken).ConfigureAwait(false);
                return;
            }

            if (DockerConfig.IsBlank(content) || ParseNode(content)["auths"] is not JsonObject auths)
            {
                return;
            }

            var stale = auths.Select(p => p.Key).Where(k => DockerConfigKeys.Matches(k, canonical)).ToList();
            if (stale.Count == 0)
            {
                return;
            }

            foreach (var key in stale)
            {
                auths.Remove(key);
            }

            await AtomicFile.WriteAsync(path, Serialize(auths.Root), PrivateFile, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writeLock.Release();
        }
    }

    private CredentialHelper Helper(string name) => new(name, helperSearchPath, helperTimeout);

    /// <summary>
    /// The file to replace. When config.json is a symbolic link (dotfile managers do this) the link's target is
    /// rewritten, so the link survives.
    /// </summary>
    private string WriteTarget()
    {
        var info = new FileInfo(ConfigPath);
        return info.LinkTarget is null ? ConfigPath : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? ConfigPath;
    }

    private static async Task<byte[]> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    private JsonObject ParseNode(byte[] content)
    {
        if (DockerConfig.IsBlank(content))
        {
            return [];
        }

        try
        {
            // DockerConfig.Parse has already checked the shape; this keeps every field as written.
            return JsonNode.Parse(content)?.AsObject() ?? [];
        }
        catch (JsonException e)
        {
            throw new CredentialConfigException(ConfigPath, $"not valid JSON: {e.Message}", e);
        }
    }

    private static void WriteCredential(JsonObject entry, Credential credential)
    {
        // Like docker, a username and password are written only as "auth"; separate fields would be stale copies.
        entry.Remove("username");
        entry.Remove("password");

        var auth = string.IsNullOrEmpty(credential.Username) && string.IsNullOrEmpty(credential.Password)
            ? null
            : Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}"));
        SetOrRemove(entry, "auth", auth);
        SetOrRemove(entry, "identitytoken", credential.RefreshToken);
        SetOrRemove(entry, "registrytoken", credential.AccessToken);
    }

    private static void SetOrRemove(JsonObject entry, string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            entry.Remove(field);
        }
        else
        {
            // Assigning an existing property keeps its place in the object.
            entry[field] = value;
        }
    }

    private static byte[] Serialize(JsonNode root) => Encoding.UTF8.GetBytes(root.ToJsonString(WriteOptions) + "\n");
}
