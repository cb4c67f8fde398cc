using FluentValidation;
using OrasAssemble.Spec.Model;
using OrasAssemble.Spec.Parsing;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// The meaning rules of spec v1: what the schema cannot say. Built per validation because the rules for a
/// step depend on the spec around it (its sources, its options) and on where each step sits in the document.
/// </summary>
internal sealed class AssemblySpecRules : AbstractValidator<AssemblySpec>
{
    public AssemblySpecRules(AssemblySpec spec, IReadOnlyList<int> stepIndexes, IReadOnlyList<string>? sourceNames, bool checkAcrossSteps)
    {
        RuleFor(s => s.Base).SetValidator(new BaseRules()!).OverridePropertyName("base");
        RuleFor(s => s.Mount!.Path).Satisfies(SpecPath.ContainerPathProblem).When(s => s.Mount is not null).OverridePropertyName("mount.path");
        RuleForEach(s => s.Metadata.Annotations.Keys)
            .OverrideIndexer(KeyIndexer)
            .Satisfies(NameRules.AnnotationKeyProblem)
            .OverridePropertyName("metadata.annotations");
        RuleForEach(s => s.Sources.Keys)
            .OverrideIndexer(KeyIndexer)
            .Satisfies(NameRules.SourceNameProblem)
            .OverridePropertyName("sources");
        RuleForEach(s => s.Sources)
            .OverrideIndexer((AssemblySpec _, IEnumerable<KeyValuePair<string, SourceSpec>> _, KeyValuePair<string, SourceSpec> source, int _) => FieldPath.KeyIndexer(source.Key))
            .SetValidator(new SourceRules())
            .OverridePropertyName("sources");
        RuleForEach(s => s.Steps)
            .OverrideIndexer((AssemblySpec _, IEnumerable<StepSpec> _, StepSpec _, int i) => $"[{stepIndexes[i]}]")
            .SetInheritanceValidator(kinds =>
            {
                kinds.Add(new CopyRules(spec, sourceNames));
                kinds.Add(new RenameRules());
                kinds.Add(new RemoveRules());
                kinds.Add(new LinkRules());
                kinds.Add(new ModeRules(spec.Options));
            })
            .OverridePropertyName("steps");
        if (checkAcrossSteps)
        {
            RuleFor(s => s).Custom((s, context) =>
            {
                foreach (var failure in CrossStepRules.Check(s, stepIndexes))
                {
                    context.AddFailure(failure);
                }
            });
        }
    }

    // Map entries are reported by key (sources.app), not by position in the map.
    private static string KeyIndexer(AssemblySpec spec, IEnumerable<string> keys, string key, int index) => FieldPath.KeyIndexer(key);

    private sealed class BaseRules : AbstractValidator<BaseImageSpec>
    {
        public BaseRules()
        {
            RuleFor(b => b.Image).Satisfies(NameRules.ReferenceProblem).OverridePropertyName("image");
            RuleFor(b => b.Platform!).Satisfies(PlatformRule.Problem).When(b => b.Platform is not null).OverridePropertyName("platform");
        }
    }

    private sealed class SourceRules : AbstractValidator<KeyValuePair<string, SourceSpec>>
    {
        public SourceRules()
        {
            RuleFor(s => s.Value.Ref).Satisfies(NameRules.SourceReferenceProblem).OverridePropertyName("ref");
            RuleFor(s => s.Value.Platform!).Satisfies(PlatformRule.Problem).When(s => s.Value.Platform is not null).OverridePropertyName("platform");
            RuleForEach(s => s.Value.MediaTypes).Satisfies(NameRules.MediaTypeProblem).OverridePropertyName("mediaTypes");
            RuleForEach(s => s.Value.Annotations.Keys)
                .OverrideIndexer((KeyValuePair<string, SourceSpec> _, IEnumerable<string> _, string key, int _) => FieldPath.KeyIndexer(key))
                .Satisfies(NameRules.AnnotationKeyProblem)
                .OverridePropertyName("annotations");
        }
    }
}
