using OrasAssemble.Registry;

namespace OrasAssemble.Tests.Registry;

public sealed class LinkHeaderTests
{
    [Theory]
    // distribution's tag list and catalog pagination.
    [InlineData("/v2/foo/tags/list?last=b&n=2", "</v2/foo/tags/list?last=b&n=2>; rel=\"next\"")]
    [InlineData("/v2/_catalog?last=library%2Fubuntu&n=100", "</v2/_catalog?last=library%2Fubuntu&n=100>; rel=\"next\"")]
    [InlineData("https://r.example/v2/a/referrers/sha256:1?n=1&last=x", "<https://r.example/v2/a/referrers/sha256:1?n=1&last=x>; rel=next")]
    [InlineData("/b", "</a>; rel=\"prev\", </b>; rel=\"next\"")]
    [InlineData("/a", "</a>; rel=\"next\", </b>; rel=\"next\"")]
    [InlineData("/a", "</a>; rel=\"prev next\"")]
    [InlineData("/a", "</a>; rel=\"NEXT\"")]
    [InlineData("/a", "</a>;rel=next;title=\"page 2\"")]
    [InlineData("/a", "</a>; title=\"a; b, c\"; rel=\"next\"")]
    [InlineData("/a", "< /a > ; rel = \"next\"")]
    [InlineData("/a,b", "</a,b>; rel=\"next\"")]
    [InlineData("/b", "</a>; title=\"next\", </b>; rel=\"next\"")]
    [InlineData("/b", "garbage, </b>; rel=next")]
    [InlineData("/b", "</a> junk; rel=next, </b>; rel=next")]
    [InlineData("/b", "/v2/a; rel=next, </b>; rel=next")]
    [InlineData("/b", "</a>; rel=prev", "</b>; rel=next")]
    [InlineData("/b", "", "</b>; rel=next")]
    public void Next_finds_the_next_link(string expected, params string[] values)
    {
        Assert.Equal(expected, LinkHeader.Next(values));
    }

    [Theory]
    [InlineData()]
    [InlineData("")]
    [InlineData("</a>")]
    [InlineData("</a>; rel=\"prev\"")]
    [InlineData("</a>; rel=\"nextpage\"")]
    [InlineData("</a>; rel=prev; rel=next")]
    [InlineData("</a>; title=\"x, rel=next\"")]
    [InlineData("</a; rel=next")]
    [InlineData("garbage")]
    public void Next_is_null_without_a_next_link(params string[] values)
    {
        Assert.Null(LinkHeader.Next(values));
    }
}
