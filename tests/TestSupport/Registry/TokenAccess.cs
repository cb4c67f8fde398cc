namespace OrasAssemble.Tests.Fixtures;

/// <summary>One entry of a token's <c>access</c> claim: what may be done to which resource.</summary>
/// <param name="Type">Resource type, usually <c>repository</c>.</param>
/// <param name="Name">Resource name, e.g. <c>apps/hello</c>.</param>
/// <param name="Actions">Granted actions, e.g. <c>pull</c>, <c>push</c>, <c>delete</c>, <c>*</c>.</param>
public sealed record TokenAccess(string Type, string Name, IReadOnlyList<string> Actions)
{
    /// <summary>The scope string a client would ask for to get this access.</summary>
    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";
}
