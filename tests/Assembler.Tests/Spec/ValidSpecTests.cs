using System.Text;
using OrasAssemble.Oci;
using OrasAssemble.Registry;
using OrasAssemble.Spec;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;
using OrasAssemble.Spec.Validation;

namespace OrasAssemble.Tests.Spec;

public sealed class ValidSpecTests
{
    private const string Every = """
        apiVersion: assemble.oras.land/v1
        kind: Assembly
        metadata: { name: typed }
        base: { image: registry.example/library/base:1, platform: linux/arm64/v8 }
        options: { allowSetuid: true }
        sources:
          zeta: { ref: registry.example/apps/zeta:1.0, platform: linux/amd64 }
          alpha: { ref: "oci-layout://./layout:v2" }
        steps:
          - copy: { from: zeta, include: ["**/*.jar"], exclude: ["**/test/**"], to: /lib/, mode: "4755", owner: "01000:1000" }
          - copy: { from: alpha, path: conf, to: /etc/app, links: refuse, overwrite: true }
          - rename: { path: /etc/app, to: /srv/ }
          - link: { path: /bin/sh, target: /bin/busybox }
          - mode: { include: ["bin/*"], mode: "0750" }
          - remove: { path: /srv/app/old }
        """;

    [Fact]
    public void Sources_hold_parsed_references_and_platforms_in_the_order_the_spec_lists_them()
    {
        var spec = SpecDocument.Load(Every).GetValidSpec();

        Assert.Equal(["zeta", "alpha"], spec.Sources.Select(s => s.Name));
        var zeta = spec.Sources[0];
        Assert.Equal(Reference.Parse("registry.example/apps/zeta:1.0"), zeta.Reference);
        Assert.Null(zeta.Layout);
        Assert.Equal(Platform.Parse("linux/amd64"), zeta.Platform);
        var alpha = spec.Sources[1];
        Assert.Null(alpha.Reference);
        Assert.Equal("./layout", alpha.Layout!.Directory);
        Assert.Equal("v2", alpha.Layout.Tag);
        Assert.Equal("oci-layout://./layout:v2", alpha.Ref);
        Assert.Null(alpha.Platform);
        Assert.Equal(Platform.Parse("linux/arm64/v8"), spec.BasePlatform);
        Assert.True(spec.AllowSetuid);
    }

    [Fact]
    public void Steps_hold_normalised_paths_numeric_modes_and_owners_and_compiled_globs()
    {
        var spec = SpecDocument.Load(Every).GetValidSpec();

        var copy = Assert.IsType<ValidCopyStep>(spec.Steps[0]);
        Assert.Equal("/", copy.Path);
        Assert.Equal("/lib", copy.To);
        Assert.True(copy.IntoDirectory);
        Assert.Equal((UnixFileMode)0b100_111_101_101, copy.Mode);
        Assert.Equal((1000u, 1000u), copy.Owner);
        Assert.True(copy.Include.Single().IsMatch("a/b/app.jar"));
        Assert.True(copy.Exclude.Single().IsMatch("x/test/t.jar"));
        Assert.True(copy.CopyLinks);

        var refusing = Assert.IsType<ValidCopyStep>(spec.Steps[1]);
        Assert.Equal(("/conf", "/etc/app", false, false, true), (refusing.Path, refusing.To, refusing.IntoDirectory, refusing.CopyLinks, refusing.Overwrite));
        Assert.Null(refusing.Mode);
        Assert.Null(refusing.Owner);

        Assert.Equal(new ValidRenameStep("/etc/app", "/srv/app", false), spec.Steps[2]);
        Assert.Equal(new ValidLinkStep("/bin/sh", "busybox", false), spec.Steps[3]);
        var mode = Assert.IsType<ValidModeStep>(spec.Steps[4]);
        Assert.Null(mode.Path);
        Assert.Equal((UnixFileMode)0b111_101_000, mode.Mode);
        var remove = Assert.IsType<ValidRemoveStep>(spec.Steps[5]);
        Assert.Equal("/srv/app/old", remove.Path);
        Assert.Equal(["copy", "copy", "rename", "link", "mode", "remove"], spec.Steps.Select(s => s.Kind));
    }

    [Fact]
    public void The_digest_is_that_of_the_canonical_json_the_model_serialises_to()
    {
        var spec = SpecDocument.Load(Every).GetValidSpec();

        var json = SpecJson.Serialize(spec.Model);
        Assert.Equal(json, spec.Json.ToArray());
        Assert.Equal(Digest.ComputeSha256(json), spec.Digest);
        var read = SpecJson.Deserialize(json);
        Assert.Equal(spec.Digest, read.Digest);
        Assert.Equal(Describe(spec.Steps), Describe(read.Steps));
    }

    /// <summary>The steps as text, globs by their patterns (a compiled glob has no equality of its own).</summary>
    internal static IEnumerable<string> Describe(IEnumerable<ValidStep> steps) => steps.Select(step => step switch
    {
        ValidCopyStep copy => (copy with { Include = [], Exclude = [] }) + Patterns(copy.Include, copy.Exclude),
        ValidRemoveStep remove => (remove with { Include = [], Exclude = [] }) + Patterns(remove.Include, remove.Exclude),
        ValidModeStep mode => (mode with { Include = [], Exclude = [] }) + Patterns(mode.Include, mode.Exclude),
        _ => step.ToString(),
    });

    private static string Patterns(IReadOnlyList<Glob> include, IReadOnlyList<Glob> exclude) =>
        $" include [{string.Join(", ", include)}] exclude [{string.Join(", ", exclude)}]";

    [Fact]
    public void A_spec_built_in_code_keeps_its_model_and_its_source_order()
    {
        var model = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "code" },
            Sources = new Dictionary<string, SourceSpec>
            {
                ["b"] = new() { Ref = "registry.example/b:1" },
                ["a"] = new() { Ref = "registry.example/a:1" },
            },
            Steps = [new CopyStep { From = "a", Path = "x", To = "/x", Mode = "644" }, new CopyStep { From = "b", Path = "y", To = "/y" }],
        };

        var spec = SpecValidator.Require(model);

        Assert.Same(model, spec.Model);
        Assert.Equal(["b", "a"], spec.Sources.Select(s => s.Name));
        Assert.Equal((UnixFileMode)0b110_100_100, Assert.IsType<ValidCopyStep>(spec.Steps[0]).Mode);
        Assert.Equal(Digest.ComputeSha256(Encoding.UTF8.GetBytes(
            """{"apiVersion":"assemble.oras.land/v1","kind":"Assembly","metadata":{"name":"code"},"sources":{"a":{"ref":"registry.example/a:1"},"b":{"ref":"registry.example/b:1"}},"steps":[{"copy":{"from":"a","mode":"0644","path":"x","to":"/x"}},{"copy":{"from":"b","path":"y","to":"/y"}}]}""")),
            spec.Digest);
    }

    [Fact]
    public void A_spec_built_in_code_with_errors_is_refused_with_all_of_them()
    {
        var model = new AssemblySpec
        {
            Metadata = new SpecMetadata { Name = "code" },
            Sources = new Dictionary<string, SourceSpec> { ["app"] = new() { Ref = "registry.example/app:1" } },
            Steps = [new CopyStep { From = "ap", Path = "a", To = "a" }],
        };

        var invalid = Assert.Throws<InvalidSpecException>(() => SpecValidator.Require(model));

        Assert.Equal(SpecValidator.Validate(model), invalid.Errors);
    }
}
