using System.Text.Json.Nodes;
using Microsoft.AspNetCore.JsonPatch;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OrasAssemble.Webhook.Patching;

namespace OrasAssemble.Webhook.Tests.Patching;

/// <summary>JSON pointers: escaping, and patches an independent implementation applies to the same members.</summary>
public sealed class JsonPointerTests
{
    [Theory]
    [InlineData(new[] { "metadata", "annotations", "assemble.oras.land/spec-digest" }, "/metadata/annotations/assemble.oras.land~1spec-digest")]
    [InlineData(new[] { "a~b", "c/d", "~1" }, "/a~0b/c~1d/~01")]
    [InlineData(new[] { "" }, "/")]
    public void Pointer_tokens_escape_tilde_before_slash(string[] tokens, string pointer)
    {
        Assert.Equal(pointer, JsonPointer.Create(tokens));
    }

    [Fact]
    public void Escaped_pointers_reach_the_same_member_in_an_independent_implementation()
    {
        var document = JObject.Parse("""{"metadata":{"annotations":{"a~1/b":"old"}}}""");
        var patch = JsonConvert.DeserializeObject<JsonPatchDocument>(
            System.Text.Encoding.UTF8.GetString(JsonPatch.Serialize(
            [
                PatchOperation.Replace(JsonPointer.Create("metadata", "annotations", "a~1/b"), JsonValue.Create("new")),
                PatchOperation.Add(JsonPointer.Create("metadata", "annotations", "x/~y"), JsonValue.Create("added")),
            ])))!;

        patch.ApplyTo(document);

        Assert.Equal("""{"metadata":{"annotations":{"a~1/b":"new","x/~y":"added"}}}""", document.ToString(Formatting.None));
    }
}
