using OrasAssemble.CsiNode.Tenancy;

namespace OrasAssemble.CsiNode.Tests.Tenancy;

public sealed class VerifiedAccessTests
{
    private const string Digest = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void A_read_stands_in_for_the_same_credentials_and_digest_until_the_window_ends()
    {
        var clock = new ManualClock();
        var access = new VerifiedAccess(TimeSpan.FromMinutes(5), clock);
        var owner = access.CredentialsId("owner-secret");
        access.Record(owner, "registry.example/app:1", Digest);

        clock.Now += TimeSpan.FromMinutes(4);
        var within = access.Holds(owner, "registry.example/app:1", Digest);
        var otherDigest = access.Holds(owner, "registry.example/app:1", Digest[..^1] + "2");
        var otherCredentials = access.Holds(access.CredentialsId("other-secret"), "registry.example/app:1", Digest);
        clock.Now += TimeSpan.FromMinutes(1);
        var after = access.Holds(owner, "registry.example/app:1", Digest);

        Assert.True(within);
        Assert.False(otherDigest);
        Assert.False(otherCredentials);
        Assert.False(after);
        Assert.Equal(0, access.Count);
    }

    [Fact]
    public void Credentials_are_kept_only_as_an_hmac_under_a_key_of_this_instance()
    {
        var first = new VerifiedAccess(TimeSpan.FromMinutes(5), TimeProvider.System);
        var second = new VerifiedAccess(TimeSpan.FromMinutes(5), TimeProvider.System);

        var id = first.CredentialsId("password-123");

        Assert.Equal(id, first.CredentialsId("password-123"));
        Assert.NotEqual(id, second.CredentialsId("password-123"));
        Assert.DoesNotContain("password", id, StringComparison.Ordinal);
        Assert.Equal(64, id.Length);
    }

    [Fact]
    public void The_oldest_read_goes_when_the_bound_is_reached()
    {
        var access = new VerifiedAccess(TimeSpan.FromMinutes(5), new ManualClock(), capacity: 3);
        var who = access.CredentialsId("secret");
        foreach (var tag in new[] { "a", "b", "c", "d" })
        {
            access.Record(who, $"registry.example/app:{tag}", Digest);
        }

        Assert.Equal(3, access.Count);
        Assert.False(access.Holds(who, "registry.example/app:a", Digest));
        Assert.True(access.Holds(who, "registry.example/app:b", Digest));
        Assert.True(access.Holds(who, "registry.example/app:d", Digest));
    }

    [Fact]
    public void A_window_of_0_remembers_nothing()
    {
        var access = new VerifiedAccess(TimeSpan.Zero, new ManualClock());
        var who = access.CredentialsId("secret");

        access.Record(who, "registry.example/app:1", Digest);

        Assert.False(access.Holds(who, "registry.example/app:1", Digest));
        Assert.Equal(0, access.Count);
    }
}
