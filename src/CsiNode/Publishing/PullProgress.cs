using OrasAssemble.Registry.Remote;
using OrasAssemble.Settings;

namespace OrasAssemble.CsiNode.Publishing;

/// <summary>
/// What one volume's background pull last waited on: the latest registry retry it hit, and when. The ABORTED answer
/// to kubelet quotes it, so a pull stuck on a slow registry says which registry, which blob and which attempt.
/// </summary>
/// <remarks>
/// Registry clients are shared by every volume with the same credentials, so a retry cannot say which volume it
/// served; the pull carries its progress in an async-local instead, set where the pull starts and flowing with it
/// into every request it makes.
/// </remarks>
internal sealed class PullProgress(string volumeId, TimeProvider time)
{
    private static readonly AsyncLocal<PullProgress?> Ambient = new();

    // Written by the pull's concurrent downloads, read by the publish that answers ABORTED: one reference, swapped whole.
    private volatile Entry? _last;

    public string VolumeId { get; } = volumeId;

    /// <summary>The pull the calling code runs for, if any.</summary>
    public static PullProgress? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    public void Record(RegistryRetry retry) => _last = new Entry(retry, time.GetUtcNow());

    /// <summary><c>; last retry 3s ago: blob sha256:… from host, attempt 2 of 5 after …</c>, or nothing before any retry.</summary>
    public string Describe()
    {
        if (_last is not { } last)
        {
            return "";
        }

        var age = time.GetUtcNow() - last.At;
        var retry = last.Retry;
        return $"; last retry {SettingsDuration.Format(TimeSpan.FromSeconds(Math.Max(0, Math.Round(age.TotalSeconds))))} ago: " +
            $"{retry.Target} from {retry.Registry}, attempt {retry.Attempt} of {retry.MaxAttempts} after {retry.Cause}";
    }

    private sealed record Entry(RegistryRetry Retry, DateTimeOffset At);
}
