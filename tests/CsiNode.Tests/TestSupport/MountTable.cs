using OrasAssemble.CsiNode.Mounting;

namespace OrasAssemble.CsiNode.Tests.TestSupport;

/// <summary>The kernel's view of mounts, for assertions, and the cleanup every test that mounts runs at the end.</summary>
internal static class MountTable
{
    public static bool IsMountPoint(string path) => new LinuxMounter().MountPoints().Contains(path);

    /// <summary>How many mounts sit at exactly <paramref name="path"/> (more than one if mounts were stacked).</summary>
    public static int MountsAt(string path) =>
        File.ReadAllLines(MountInfo.SelfPath).Count(line => line.Split(' ') is { Length: > 4 } f && MountInfo.Unescape(f[4]) == path);

    /// <summary>The mount options of the mount at <paramref name="path"/> (field 6), e.g. <c>ro,nosuid,nodev,relatime</c>.</summary>
    public static string Options(string path) =>
        File.ReadAllLines(MountInfo.SelfPath).Select(line => line.Split(' ')).Last(f => f.Length > 5 && MountInfo.Unescape(f[4]) == path)[5];

    /// <summary>Detaches every mount below <paramref name="root"/>, deepest first, so a failed test leaves none behind.</summary>
    public static void UnmountAllUnder(string root)
    {
        var prefix = root.TrimEnd('/') + "/";
        var mounter = new LinuxMounter();
        for (var round = 0; round < 8; round++)
        {
            var below = mounter.MountPoints().Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).OrderByDescending(p => p.Length).ToList();
            if (below.Count == 0)
            {
                return;
            }

            foreach (var point in below)
            {
                mounter.Unmount(point);
            }
        }
    }
}
