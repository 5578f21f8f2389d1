using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LightNfv.Server.Api.OpenApi;

/// <summary>
/// The problem documents the API answers carry a "field" member (the request field, parameter or header the error is
/// about) and a "traceId" (as the log names the request): declared on the ProblemDetails schema so a generated client has it as a property, not an unknown extra.
/// </summary>
public static class ProblemSchema
{
    public static OpenApiOptions AddProblemField(this OpenApiOptions options) =>
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(ProblemDetails))
            {
                schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                schema.Properties.TryAdd("field", new OpenApiSchema
                {
                    Type = JsonSchemaType.String | JsonSchemaType.Null,
                    Description = "The request field (JSON path, descriptor path), query parameter or header the error is about",
                });
                schema.Properties.TryAdd("traceId", new OpenApiSchema
                {
                    Type = JsonSchemaType.String | JsonSchemaType.Null,
                    Description = "The request's trace id, as the daemon's log names it",
                });
            }
            return Task.CompletedTask;
        });
}
