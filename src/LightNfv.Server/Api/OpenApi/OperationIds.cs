using System.Text;
using Microsoft.AspNetCore.OpenApi;

namespace LightNfv.Server.Api.OpenApi;

/// <summary>
/// Gives every operation an operationId, so a generated client has a method name for each: the endpoint's name
/// (<c>.WithName("listInstances")</c>) when it has one, otherwise one derived from the method and route
/// (<c>GET /api/v1/vnfs/{name}/ops</c> becomes <c>getVnfsByNameOps</c>). Applies to every route, present and future.
/// </summary>
public static class OperationIds
{
    public static OpenApiOptions AddOperationIds(this OpenApiOptions options) =>
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (string.IsNullOrEmpty(operation.OperationId))
            {
                var d = context.Description;
                operation.OperationId = Derive(d.HttpMethod ?? "GET", d.RelativePath ?? "");
            }
            return Task.CompletedTask;
        });

    /// <summary>camelCase of the method and the route's segments after the /api/v1 prefix; parameters become ByName.</summary>
    public static string Derive(string method, string route)
    {
        var sb = new StringBuilder(method.ToLowerInvariant());
        var segments = route.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var skip = segments is ["api", "v1", ..] ? 2 : 0;
        foreach (var raw in segments.Skip(skip))
        {
            var parameter = raw.StartsWith('{');
            var name = raw.Trim('{', '}').Split(':')[0];
            if (parameter)
            {
                sb.Append("By");
            }
            foreach (var part in name.Split('_', '-', '.'))
            {
                if (part.Length > 0)
                {
                    sb.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
                }
            }
        }
        return sb.ToString();
    }
}
