using Microsoft.AspNetCore.Builder;

namespace OrasAssemble.Hosting;

/// <summary>
/// The ASP.NET Core builder options both hosts start from. Their configuration is their own (flags and a YAML file), so
/// nothing of ASP.NET Core's file configuration may cost anything: the content root is the program's own directory, not
/// the working directory, and config files are not watched for changes.
/// </summary>
/// <remarks>
/// With the defaults, the builder watches the working directory (its content root) for <c>appsettings.json</c>, and on
/// Linux that watch covers every directory below it, each an inotify watch kept current as directories come and go. A
/// node plugin started in <c>/</c> or in kubelet's directory would watch every pod's volume directory and the cache, spend
/// a thread's CPU on the events every publish makes, and use up the node's <c>fs.inotify.max_user_watches</c>.
/// </remarks>
internal static class BuilderOptions
{
    /// <param name="applicationName">Null for the entry assembly's name.</param>
    public static WebApplicationOptions For(string? applicationName = null) => new()
    {
        ApplicationName = applicationName,
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    };
}
