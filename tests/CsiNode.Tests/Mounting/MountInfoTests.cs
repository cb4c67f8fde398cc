using OrasAssemble.CsiNode.Mounting;
using OrasAssemble.Tests.TestSupport;

namespace OrasAssemble.CsiNode.Tests.Mounting;

public sealed class MountInfoTests
{
    [Fact]
    public void Mount_points_are_read_from_field_five_with_escapes_undone()
    {
        const string text = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            640 22 8:1 /var/cache/trees/abc /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/my\040vol/mount ro,nosuid,nodev,relatime shared:1 - ext4 /dev/sda1 rw
            641 22 0:50 / /tmp/tab\011and\134backslash rw - tmpfs tmpfs rw
            """;

        var points = MountInfo.ParseMountPoints(text);

        Assert.Equal(3, points.Count);
        Assert.Contains("/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/my vol/mount", points);
        Assert.Contains("/tmp/tab\tand\\backslash", points);
    }

    [Fact]
    public void Mount_roots_are_read_from_field_four_and_the_topmost_of_stacked_mounts_wins()
    {
        const string text = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            640 22 8:1 /var/lib/oras-assemble/trees/abc /pods/u/my\040vol/mount ro,nosuid,nodev,relatime shared:1 - ext4 /dev/sda1 rw
            641 640 8:1 /trees/def /pods/u/my\040vol/mount ro - ext4 /dev/sda2 rw
            """;

        var roots = MountInfo.ParseMountRoots(text);

        Assert.Equal("/", roots["/"]);
        Assert.Equal("/trees/def", roots["/pods/u/my vol/mount"]);
        Assert.Equal(2, roots.Count);
    }

    [Fact]
    public void A_real_read_only_bind_mount_appears_in_the_table_and_refuses_writes()
    {
        using var dir = new TempDirectory();
        var source = dir.Combine("source dir");
        var target = dir.Combine("target with space");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(source, "f"), "x");
        var mounter = new LinuxMounter();

        Directory.CreateDirectory(Path.Combine(source, "sub"));
        Assert.False(mounter.IsMountPoint(target));
        mounter.BindReadOnly(source, target);
        try
        {
            Assert.Contains(target, mounter.MountPoints());
            Assert.True(mounter.IsMountPoint(target));
            Assert.False(mounter.IsMountPoint(Path.Combine(target, "sub")));
            Assert.False(mounter.IsMountPoint(Path.Combine(target, "f")));
            Assert.False(mounter.IsMountPoint(source));
            Assert.EndsWith("/source dir", mounter.MountRoots()[target], StringComparison.Ordinal);
            Assert.Equal("x", File.ReadAllText(Path.Combine(target, "f")));
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(target, "g"), "y"));
        }
        finally
        {
            mounter.Unmount(target);
        }

        Assert.DoesNotContain(target, mounter.MountPoints());
        Assert.False(mounter.IsMountPoint(target));
        Assert.False(mounter.IsMountPoint(dir.Combine("never-existed")));
        mounter.Unmount(target);
        mounter.Unmount(dir.Combine("never-existed"));
    }
}
