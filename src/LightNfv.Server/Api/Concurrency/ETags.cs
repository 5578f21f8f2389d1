using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace LightNfv.Server.Api.Concurrency;

/// <summary>
/// ETag and conditional requests on a mutable resource: GET answers the resource's ETag and 304 to a matching
/// If-None-Match; any other method with an If-Match that no longer matches is refused with 412 before it acts, so two
/// clients cannot overwrite each other's change unseen. Apply with <c>.WithETag(ctx =&gt; version)</c>, where the
/// function gives the stored resource's version (null when it does not exist: the handler then answers 404).
/// </summary>
public static class ETags
{
    /// <summary>A strong entity tag from the text of a stored version (hashed, so it says nothing of the content).</summary>
    public static string Of(string version) =>
        $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version)).AsSpan(0, 12))}\"";

    public static RouteHandlerBuilder WithETag(this RouteHandlerBuilder builder, Func<HttpContext, string?> version, string resource)
    {
        builder.Add(e =>
        {
            var reads = e.Metadata.OfType<HttpMethodMetadata>().FirstOrDefault()?.HttpMethods.All(m => m is "GET" or "HEAD") == true;
            e.Metadata.Add(reads
                ? new ProducesResponseTypeMetadata(StatusCodes.Status304NotModified, typeof(void))
                : new ProducesResponseTypeMetadata(StatusCodes.Status412PreconditionFailed, typeof(ProblemDetails), ["application/problem+json"]));
        });
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var current = version(http) is { } v ? Of(v) : null;
            var headers = http.Request.GetTypedHeaders();
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            {
                if (current is not null)
                {
                    http.Response.Headers.ETag = current;
                    if (headers.IfNoneMatch.Any(t => t.Tag == "*" || t.Tag == current))
                    {
                        return Results.StatusCode(StatusCodes.Status304NotModified);
                    }
                }
                return await next(ctx).ConfigureAwait(false);
            }
            var ifMatch = headers.IfMatch;
            if (ifMatch.Count > 0 && !ifMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag == current)))
            {
                var now = current is null ? "no longer exists" : $"is now at ETag {current}";
                return ProblemMiddleware.Problem(http, StatusCodes.Status412PreconditionFailed, ProblemMiddleware.PreconditionFailed,
                    $"If-Match: the {resource} changed since {string.Join(", ", ifMatch.Select(t => t.Tag.ToString()))} ({now}); GET it again and retry with its ETag",
                    "If-Match");
            }
            return await next(ctx).ConfigureAwait(false);
        });
        builder.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            operation.Parameters ??= [];
            var get = context.Description.HttpMethod is "GET" or "HEAD";
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = get ? "If-None-Match" : "If-Match",
                In = ParameterLocation.Header,
                Description = get
                    ? $"The {resource}'s ETag from an earlier GET: 304 Not Modified while it is unchanged"
                    : $"The {resource}'s ETag from a GET: 412 Precondition Failed if it changed since, and nothing is done",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            return Task.CompletedTask;
        });
        return builder;
    }
}
