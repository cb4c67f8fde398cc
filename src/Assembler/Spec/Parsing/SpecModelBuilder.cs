using System.Collections.ObjectModel;
using OrasAssemble.Spec.Model;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// Builds the model from spec nodes, as far as their shape allows. The schema pass reports shape problems;
/// this builder only makes sure the rule pass can still look at everything else: a value of the wrong type
/// becomes an empty string or false (and the rule pass's errors at such a path are dropped), a step or
/// source that is not a mapping is left out. Field names here must match the schema's.
/// </summary>
internal static class SpecModelBuilder
{
    public static (AssemblySpec Spec, IReadOnlyList<int> StepIndexes) Build(SpecNode root)
    {
        var top = root as SpecObject;
        var steps = new List<StepSpec>();
        var stepIndexes = new List<int>();
        if (top?.Get("steps") is SpecArray items)
        {
            for (var i = 0; i < items.Items.Count; i++)
            {
                if (BuildStep(items.Items[i]) is { } step)
                {
                    steps.Add(step);
                    stepIndexes.Add(i);
                }
            }
        }

        var spec = new AssemblySpec
        {
            ApiVersion = String(top?.Get("apiVersion")) ?? "",
            Kind = String(top?.Get("kind")) ?? "",
            Metadata = BuildMetadata(top?.Get("metadata") as SpecObject),
            Base = top?.Get("base") is SpecObject image
                ? new BaseImageSpec { Image = String(image.Get("image")) ?? "", Platform = String(image.Get("platform")) }
                : null,
            Mount = top?.Get("mount") is SpecObject mount ? new MountSpec { Path = String(mount.Get("path")) ?? "" } : null,
            Sources = BuildSources(top?.Get("sources") as SpecObject),
            Steps = steps,
            Options = top?.Get("options") is SpecObject options
                ? new SpecOptions { AllowSetuid = Boolean(options.Get("allowSetuid")) }
                : SpecOptions.Default,
        };
        return (spec, stepIndexes);
    }

    private static SpecMetadata BuildMetadata(SpecObject? metadata) => new()
    {
        Name = String(metadata?.Get("name")) ?? "",
        Annotations = Map(metadata?.Get("annotations")),
    };

    private static IReadOnlyDictionary<string, SourceSpec> BuildSources(SpecObject? sources)
    {
        var result = new OrderedDictionary<string, SourceSpec>(StringComparer.Ordinal);
        foreach (var property in sources?.Properties ?? [])
        {
            if (property.Value is not SpecObject source)
            {
                continue;
            }

            result[property.Key] = new SourceSpec
            {
                Ref = String(source.Get("ref")) ?? "",
                Platform = String(source.Get("platform")),
                MediaTypes = Strings(source.Get("mediaTypes")),
                Annotations = Map(source.Get("annotations")),
            };
        }

        return new ReadOnlyDictionary<string, SourceSpec>(result);
    }

    private static StepSpec? BuildStep(SpecNode node)
    {
        if (node is not SpecObject { Properties.Count: 1 } step || step.Properties[0].Value is not SpecObject body)
        {
            return null;
        }

        return step.Properties[0].Key switch
        {
            CopyStep.KindName => new CopyStep
            {
                From = String(body.Get("from")) ?? "",
                Path = String(body.Get("path")),
                Include = Strings(body.Get("include")),
                Exclude = Strings(body.Get("exclude")),
                To = String(body.Get("to")) ?? "",
                Mode = String(body.Get("mode")),
                Overwrite = Boolean(body.Get("overwrite")),
                Links = String(body.Get("links")),
                Owner = String(body.Get("owner")),
            },
            RenameStep.KindName => new RenameStep
            {
                Path = String(body.Get("path")) ?? "",
                To = String(body.Get("to")) ?? "",
                Overwrite = Boolean(body.Get("overwrite")),
            },
            RemoveStep.KindName => new RemoveStep
            {
                Path = String(body.Get("path")),
                Include = Strings(body.Get("include")),
                Exclude = Strings(body.Get("exclude")),
            },
            LinkStep.KindName => new LinkStep
            {
                Path = String(body.Get("path")) ?? "",
                Target = String(body.Get("target")) ?? "",
                Overwrite = Boolean(body.Get("overwrite")),
            },
            ModeStep.KindName => new ModeStep
            {
                Path = String(body.Get("path")),
                Include = Strings(body.Get("include")),
                Exclude = Strings(body.Get("exclude")),
                Mode = String(body.Get("mode")) ?? "",
            },
            _ => null,
        };
    }

    // Null when the field is absent; "" when it is there but not a string, so rules still see that it was given.
    private static string? String(SpecNode? node) => node switch
    {
        null => null,
        SpecScalar { Type: ScalarType.String } scalar => scalar.Text,
        _ => "",
    };

    private static bool Boolean(SpecNode? node) => node is SpecScalar scalar && scalar.IsTrue;

    // Empty when absent; one placeholder when present but not a list, so "was it given" rules still see it.
    private static IReadOnlyList<string> Strings(SpecNode? node) => node switch
    {
        null => [],
        SpecArray array => array.Items.Select(item => String(item) ?? "").ToArray(),
        _ => [""],
    };

    private static IReadOnlyDictionary<string, string> Map(SpecNode? node)
    {
        if (node is not SpecObject map)
        {
            return EmptyMap.Strings;
        }

        var result = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in map.Properties)
        {
            result[property.Key] = String(property.Value) ?? "";
        }

        return new ReadOnlyDictionary<string, string>(result);
    }
}
