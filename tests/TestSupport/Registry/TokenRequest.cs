namespace OrasAssemble.Tests.Fixtures;

/// <summary>One request a <see cref="TokenIssuer"/> answered.</summary>
/// <param name="Method"><c>GET</c> (docker token protocol) or <c>POST</c> (OAuth2 form).</param>
/// <param name="Grant">
/// <c>anonymous</c> or <c>basic</c> for GET; the form's <c>grant_type</c> (<c>password</c>, <c>refresh_token</c>, …) for POST.
/// </param>
/// <param name="Scopes">The scopes asked for, one string each, as sent.</param>
/// <param name="Username">Who authenticated, or <c>null</c> when anonymous or rejected.</param>
/// <param name="StatusCode">The status the issuer answered with.</param>
public sealed record TokenRequest(string Method, string Grant, IReadOnlyList<string> Scopes, string? Username, int StatusCode);
