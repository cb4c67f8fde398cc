using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OrasAssemble.Webhook.Admission;

namespace OrasAssemble.Webhook.Hosting;

/// <summary><c>POST /mutate</c>: reads the body within a size limit, lets <see cref="AdmissionHandler"/> decide, writes its review.</summary>
internal static class AdmissionEndpoint
{
    public const string Path = "/mutate";

    public static async Task HandleAsync(HttpContext context, AdmissionHandler handler, WebhookOptions options)
    {
        var cancellationToken = context.RequestAborted;
        var body = await ReadBodyAsync(context, options.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        var result = body.Content is { } content
            ? await handler.HandleAsync(content, cancellationToken).ConfigureAwait(false)
            : handler.RejectBody(body.Problem!, body.StatusCode);

        context.Response.StatusCode = result.StatusCode;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, result.Review, AdmissionJson.Options, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(ReadOnlyMemory<byte>? Content, string? Problem, int StatusCode)> ReadBodyAsync(
        HttpContext context, long limit, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > limit)
        {
            return (null, $"the review is {context.Request.ContentLength} bytes, over the limit of {limit}", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            return (null, $"cannot read the review: {e.Message}", e.StatusCode);
        }

        return (buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null, StatusCodes.Status200OK);
    }
}
