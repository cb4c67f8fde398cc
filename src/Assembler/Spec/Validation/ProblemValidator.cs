using FluentValidation;
using FluentValidation.Validators;

namespace OrasAssemble.Spec.Validation;

/// <summary>
/// A FluentValidation rule around the spec's "what is wrong, or null" checks, so each check is written once
/// (and used by the executor too) and its own wording becomes the error message.
/// </summary>
internal sealed class ProblemValidator<T>(Func<string, string?> check) : PropertyValidator<T, string>
{
    public override string Name => "ProblemValidator";

    public override bool IsValid(ValidationContext<T> context, string value)
    {
        var problem = check(value);
        if (problem is null)
        {
            return true;
        }

        context.MessageFormatter.AppendArgument("Problem", problem);
        return false;
    }

    protected override string GetDefaultMessageTemplate(string errorCode) => "{Problem}";
}

internal static class ProblemValidatorExtensions
{
    public static IRuleBuilderOptions<T, string> Satisfies<T>(this IRuleBuilder<T, string> rule, Func<string, string?> check) =>
        rule.SetValidator(new ProblemValidator<T>(check));
}
