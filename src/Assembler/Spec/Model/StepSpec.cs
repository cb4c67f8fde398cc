namespace OrasAssemble.Spec.Model;

/// <summary>One step of a spec. Each kind is its own record; <see cref="Kind"/> is the key it is written under.</summary>
public abstract record StepSpec
{
    private protected StepSpec()
    {
    }

    /// <summary><c>copy</c>, <c>rename</c>, <c>remove</c>, <c>link</c> or <c>mode</c>.</summary>
    public abstract string Kind { get; }
}
