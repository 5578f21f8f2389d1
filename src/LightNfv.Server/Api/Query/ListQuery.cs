using System.Buffers.Text;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LightNfv.Core.Errors;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace LightNfv.Server.Api.Query;

/// <summary>
/// Filtering and paging for every list route, on the JSON shape the list answers (so one implementation serves all):
/// <c>?filter=</c> (SOL013 attribute filter), <c>?tenant=</c>, <c>?limit=N</c> and SOL013's <c>nextpage_opaque_marker</c>,
/// with a <c>Link: &lt;...&gt;; rel="next"</c> header while more follow. Apply with <c>.WithListQuery&lt;ItemDto&gt;()</c>.
/// </summary>
public static class ListQuery
{
    public const string Filter = "filter";
    public const string Tenant = "tenant";
    public const string Limit = "limit";
    public const string Marker = "nextpage_opaque_marker";
    public const int MaxLimit = 1000;

    /// <summary>
    /// Makes a list route filterable and pageable. The handler returns its whole list (any IEnumerable of
    /// <typeparamref name="T"/>); filter attributes are checked against <typeparamref name="T"/>'s JSON properties,
    /// so a misspelt one is a 400 naming it even when the list is empty.
    /// </summary>
    public static RouteHandlerBuilder WithListQuery<T>(this RouteHandlerBuilder builder) => builder
        .AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var query = Parse(http.Request.Query, options.GetTypeInfo(typeof(T)));
            var result = await next(ctx).ConfigureAwait(false);
            return result switch
            {
                IEnumerable items and not string => Apply(http, query, items, options),
                IValueHttpResult { Value: IEnumerable items and not string } => Apply(http, query, items, options),
                _ => result,
            };
        })
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var (name, description, type) in s_parameters)
            {
                if (!operation.Parameters.Any(p => p.Name == name))
                {
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = name,
                        In = ParameterLocation.Query,
                        Description = description,
                        Schema = new OpenApiSchema { Type = type },
                    });
                }
            }
            return Task.CompletedTask;
        });

    private static readonly (string, string, JsonSchemaType)[] s_parameters =
    [
        (Filter, "SOL013 attribute filter on the items' JSON: (op,attribute,value[,value...]) terms joined by ';'; op is eq, neq, in, nin, gt, gte, lt, lte, cont or ncont; attribute a name or dotted path. E.g. (eq,state,running);(in,technology,process,container)", JsonSchemaType.String),
        (Tenant, "Only items of this tenant", JsonSchemaType.String),
        (Limit, $"At most this many items (1-{MaxLimit}); a Link header with rel=\"next\" points at the next page while more follow", JsonSchemaType.Integer),
        (Marker, "The next page, as given by the Link header of the previous one (opaque)", JsonSchemaType.String),
    ];

    /// <summary>What a request asked of a list. Offset is where the page starts (from the marker).</summary>
    public sealed record Request(AttributeFilter? Filter, string? Tenant, int? Limit, int Offset);

    /// <summary>Reads the query parameters, each bad one a 400 naming it.</summary>
    public static Request Parse(IQueryCollection query, JsonTypeInfo item)
    {
        AttributeFilter? filter = null;
        if (query.TryGetValue(Filter, out var f))
        {
            filter = AttributeFilter.Parse(f.ToString());
            foreach (var term in filter.Terms)
            {
                CheckAttribute(item, term);
            }
        }
        string? tenant = null;
        if (query.TryGetValue(Tenant, out var t) && t.ToString() is { Length: > 0 } tv)
        {
            if (!item.Properties.Any(p => p.Name == "tenant"))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"tenant: these items have no tenant; leave tenant out");
            }
            tenant = tv;
        }
        int? limit = null;
        if (query.TryGetValue(Limit, out var l))
        {
            limit = int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit ? n
                : throw new LightNfvException(ErrorKind.Invalid, $"limit: '{l}' is not a whole number from 1 to {MaxLimit}");
        }
        var offset = 0;
        if (query.TryGetValue(Marker, out var m))
        {
            offset = Decode(m.ToString()) ?? throw new LightNfvException(ErrorKind.Invalid,
                $"{Marker}: '{m}' is not a marker this server gave; follow the Link header of the previous page, or leave it out for the first page");
        }
        return new Request(filter, tenant, limit, offset);
    }

    /// <summary>The attribute must name a property of the item's JSON, walking into nested objects and lists.</summary>
    private static void CheckAttribute(JsonTypeInfo item, FilterTerm term)
    {
        var info = item;
        foreach (var name in term.Path)
        {
            if (info is null)
            {
                return; // Inside free-form JSON (a dictionary, a JsonElement): anything may be there.
            }
            var p = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new LightNfvException(ErrorKind.Invalid,
                    $"filter: '{term.Attribute}' is not an attribute of these items; use one of {string.Join(", ", info.Properties.Select(p => p.Name))}");
            info = Inner(info.Options, p.PropertyType);
        }
    }

    /// <summary>The object type to walk into: the type itself, a list's element type; null for free-form or scalar types.</summary>
    private static JsonTypeInfo? Inner(JsonSerializerOptions options, Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var info = options.GetTypeInfo(t);
        return info.Kind switch
        {
            JsonTypeInfoKind.Object when info.Properties.Count > 0 => info,
            JsonTypeInfoKind.Enumerable when info.ElementType is { } e => Inner(options, e),
            _ => null,
        };
    }

    /// <summary>Filters and pages the list on its JSON shape; sets the Link header when another page follows.</summary>
    public static IReadOnlyList<JsonElement> Apply(HttpContext http, Request request, IEnumerable items, JsonSerializerOptions options)
    {
        var selected = new List<JsonElement>();
        foreach (var item in items)
        {
            var json = JsonSerializer.SerializeToElement(item, item?.GetType() ?? typeof(object), options);
            if (request.Tenant is { } tenant && !(json.TryGetProperty("tenant", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == tenant))
            {
                continue;
            }
            if (request.Filter is { } f && !f.Matches(json))
            {
                continue;
            }
            selected.Add(json);
        }
        var offset = Math.Min(request.Offset, selected.Count);
        var size = request.Limit ?? (request.Offset > 0 ? MaxLimit : selected.Count);
        var page = selected.Skip(offset).Take(size).ToList();
        if (offset + page.Count < selected.Count)
        {
            http.Response.Headers.Link = $"<{NextPage(http.Request, offset + page.Count)}>; rel=\"next\"";
        }
        return page;
    }

    private static string NextPage(HttpRequest request, int offset)
    {
        var q = request.Query.Where(kv => kv.Key != Marker).SelectMany(kv => kv.Value.Select(v => KeyValuePair.Create(kv.Key, v))).ToList();
        q.Add(KeyValuePair.Create(Marker, (string?)Encode(offset)));
        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{QueryString.Create(q)}";
    }

    /// <summary>Opaque to clients (SOL013): the offset, base64url, with a prefix so a made-up value is refused.</summary>
    public static string Encode(int offset) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"lnfv:{offset}"));

    public static int? Decode(string marker)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(marker));
            return text.StartsWith("lnfv:", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
