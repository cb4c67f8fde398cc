using OrasAssemble.CsiNode.Transport;

namespace OrasAssemble.CsiNode.Tests.Transport;

public sealed class HostAuthorityTests
{
    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:50051")]
    [InlineData("csi.oras.land")]
    [InlineData("127.0.0.1:80")]
    [InlineData("[::1]")]
    [InlineData("[::1]:8080")]
    [InlineData("")]
    public void A_host_with_an_optional_port_is_kept(string authority) => Assert.True(HostAuthority.IsValid(authority));

    [Theory]
    [InlineData("/var/lib/kubelet/plugins/csi.oras.land/csi.sock")]
    [InlineData("%2Fvar%2Flib%2Fkubelet%2Fplugins%2Fcsi.oras.land%2Fcsi.sock")]
    [InlineData("unix:///csi/csi.sock")]
    [InlineData("csi.sock:")]
    [InlineData("host:123456")]
    [InlineData("[::1")]
    [InlineData("[zz]")]
    [InlineData("user@host")]
    [InlineData("two words")]
    public void Anything_else_is_replaced(string authority) => Assert.False(HostAuthority.IsValid(authority));
}
