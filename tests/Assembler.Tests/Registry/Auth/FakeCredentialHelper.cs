using System.Security.Cryptography;
using System.Text;
using System.Runtime.Versioning;
using OrasAssemble.Registry.Auth;

namespace OrasAssemble.Tests.Registry.Auth;

/// <summary>
/// A real <c>docker-credential-&lt;name&gt;</c> program (a bash script) in its own directory, with a unique name so
/// tests never pick up a helper installed on the machine.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class FakeCredentialHelper
{
    private FakeCredentialHelper(string directory, string name, string stateDirectory)
    {
        Directory = directory;
        Name = name;
        StateDirectory = stateDirectory;
    }

    /// <summary>The directory holding the program: the search path to give the store.</summary>
    public string Directory { get; }

    /// <summary>The name as written in config.json (without the docker-credential- prefix).</summary>
    public string Name { get; }

    public string StateDirectory { get; }

    public string CallLog => Path.Combine(StateDirectory, "calls.log");

    public DockerConfigCredentialStoreOptions Options(TimeSpan? timeout = null) => new()
    {
        HelperSearchPath = [Directory],
        HelperTimeout = timeout ?? DockerConfigCredentialStoreOptions.DefaultHelperTimeout,
    };

    /// <summary>
    /// A helper that keeps what it is given, one file per server URL, and answers "credentials not found" like
    /// docker-credential-helpers when asked for anything else. Every call is logged as "action server-url".
    /// </summary>
    public static FakeCredentialHelper Keychain(string root)
    {
        return Create(root, state => $$"""
            state='{{state}}'
            input="$(cat)"
            key() { printf '%s' "$1" | sha256sum | cut -c1-64; }
            case "$1" in
              get|erase) url="$input" ;;
              store) url="$(printf '%s' "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')" ;;
              *) echo "unknown action $1" >&2; exit 2 ;;
            esac
            printf '%s %s\n' "$1" "$url" >> "$state/calls.log"
            file="$state/$(key "$url").json"
            case "$1" in
              get) if [ -f "$file" ]; then cat "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
              store) printf '%s' "$input" > "$file" ;;
              erase) if [ -f "$file" ]; then rm "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
            esac
            """);
    }

    /// <summary>A helper whose whole behaviour is the given bash script body (stdin still unread).</summary>
    public static FakeCredentialHelper Scripted(string root, string body) => Create(root, _ => body);

    /// <summary>Puts a credential into a <see cref="Keychain"/> helper's storage as if it had been stored earlier.</summary>
    public void Seed(string serverUrl, string username, string secret)
    {
        var json = $$"""{"ServerURL":"{{serverUrl}}","Username":"{{username}}","Secret":"{{secret}}"}""";
        File.WriteAllText(Path.Combine(StateDirectory, Key(serverUrl) + ".json"), json);
    }

    public bool Holds(string serverUrl) => File.Exists(Path.Combine(StateDirectory, Key(serverUrl) + ".json"));

    public string[] Calls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

    private static FakeCredentialHelper Create(string root, Func<string, string> body)
    {
        var name = "test" + Guid.NewGuid().ToString("N")[..12];
        var directory = System.IO.Directory.CreateDirectory(Path.Combine(root, "bin-" + name)).FullName;
        var state = System.IO.Directory.CreateDirectory(Path.Combine(root, "state-" + name)).FullName;
        var program = Path.Combine(directory, "docker-credential-" + name);
        File.WriteAllText(program, "#!/bin/bash\n" + body(state).ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new FakeCredentialHelper(directory, name, state);
    }

    private static string Key(string serverUrl) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(serverUrl)));
}
