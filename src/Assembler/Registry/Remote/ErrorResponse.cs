using System.Net;
using System.Text.Json;
using OrasAssemble.Content;
using OrasAssemble.Text;

namespace OrasAssemble.Registry.Remote;

/// <summary>Turns a registry's error answer into the typed exception callers catch.</summary>
internal static class ErrorResponse
{
    // Error bodies are small; a hostile registry must not make us read an unbounded one.
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxErrorsInMessage = 4;

    public static async Task<IReadOnlyList<RegistryError>> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[MaxBodyBytes];
            var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            body = buffer[..length];
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return errors.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.Object)
                .Select(e => new RegistryError(
                    Text(e, "code") ?? "UNKNOWN",
                    Text(e, "message"),
                    e.TryGetProperty("detail", out var d) && d.ValueKind != JsonValueKind.Null ? d.GetRawText() : null))
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }

        static string? Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>The registry's own words, each entry bounded: a body may hold 64 KiB of whatever the registry likes.</summary>
    public static string Describe(IReadOnlyList<RegistryError> errors) =>
        errors.Count == 0 ? "" : ": " + string.Join("; ", errors.Take(MaxErrorsInMessage).Select(e => QuotedValue.Bare(e.ToString())))
            + (errors.Count > MaxErrorsInMessage ? $"; and {errors.Count - MaxErrorsInMessage} more" : "");

    /// <summary>The exception for a failed <paramref name="operation"/>, e.g. "fetch manifest 127.0.0.1:5000/app:1.0".</summary>
    public static async Task<Exception> ToExceptionAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var errors = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        var details = Describe(errors);
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new RegistryNotFoundException($"{operation}: not found ({status}){details}", errors),
            HttpStatusCode.Unauthorized => new RegistryAuthenticationException(
                $"{operation}: authentication required or credentials rejected ({status}){details}", errors),
            HttpStatusCode.Forbidden => new RegistryAccessDeniedException($"{operation}: access denied ({status}){details}", errors),
            HttpStatusCode.TooManyRequests => new RegistryRateLimitException(
                $"{operation}: the registry is rate limiting requests ({status}){details}", errors),
            _ => new RegistryException($"{operation}: registry answered {status}{details}", response.StatusCode, errors),
        };
    }

    /// <summary>A response that is missing something the spec requires is the registry's fault, said plainly.</summary>
    public static RegistryException Protocol(string operation, HttpResponseMessage response, string problem) =>
        new($"{operation}: {problem}", response.StatusCode, []);

    public static ContentVerificationException Mismatch(string operation, string problem) => new($"{operation}: {problem}");
}
