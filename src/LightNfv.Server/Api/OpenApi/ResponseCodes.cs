using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace LightNfv.Server.Api.OpenApi;

/// <summary>
/// Declares the error answers every route of a group can give, from what the route takes, so the OpenAPI document
/// lists them without each route repeating them (and a route added later gets them too): 400 when it binds any input,
/// 404 when its path names a resource, 415 (and 413 under a body limit) when it reads a body, 409, 429 and 503 when it changes
/// something (a conflict or a state that does not allow it, a pool used up, a backend the host lacks), 500 always. Success codes and 412/304 stay with the route.
/// </summary>
public static class ResponseCodes
{
    private static readonly string[] s_problem = ["application/problem+json"];

    public static TBuilder WithErrorResponses<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(Declare);
        return builder;
    }

    public static void Declare(EndpointBuilder endpoint)
    {
        var declared = endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).ToHashSet();
        void Add(int status)
        {
            if (declared.Add(status))
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), s_problem));
            }
        }
        var pattern = (endpoint as RouteEndpointBuilder)?.RoutePattern;
        var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().FirstOrDefault()?.HttpMethods ?? [];
        var reads = methods.All(m => m is "GET" or "HEAD");
        var body = endpoint.Metadata.OfType<IAcceptsMetadata>().Any();
        var method = endpoint.Metadata.OfType<System.Reflection.MethodInfo>().FirstOrDefault();
        // Parameters bound from the request (not services, not the HttpContext or a token).
        var inputs = method?.GetParameters().Any(p => !p.ParameterType.IsInterface && p.ParameterType.Namespace?.StartsWith("LightNfv.Platform", StringComparison.Ordinal) != true
            && p.ParameterType != typeof(HttpContext) && p.ParameterType != typeof(HttpRequest) && p.ParameterType != typeof(CancellationToken)) == true;
        if (inputs || body || pattern?.Parameters.Count > 0)
        {
            Add(StatusCodes.Status400BadRequest);
        }
        if (pattern?.Parameters.Count > 0)
        {
            Add(StatusCodes.Status404NotFound);
        }
        if (body)
        {
            Add(StatusCodes.Status415UnsupportedMediaType);
            if (endpoint.Metadata.OfType<IRequestSizeLimitMetadata>().Any())
            {
                Add(StatusCodes.Status413PayloadTooLarge);
            }
        }
        if (!reads)
        {
            // Lifecycle errors: a name taken or a state that does not allow it, a pool or quota used up, a host lacking a backend.
            Add(StatusCodes.Status409Conflict);
            Add(StatusCodes.Status429TooManyRequests);
            Add(StatusCodes.Status503ServiceUnavailable);
        }
        Add(StatusCodes.Status500InternalServerError);
    }
}
