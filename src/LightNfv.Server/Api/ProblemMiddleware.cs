using System.Text.Json;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace LightNfv.Server.Api;

/// <summary>
/// Turns errors into RFC 7807 problem details: the status from the error kind, the message as detail, and the field
/// it names (descriptor path, request field) as an extension member "field", so a client can point at it.
/// </summary>
public sealed partial class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> log)
{
    [GeneratedRegex(@"^(?<field>[A-Za-z][A-Za-z0-9_.\[\]-]*)( \(line \d+\))?: ")]
    private static partial Regex FieldPrefix();

    /// <summary>The parameter a minimal-API binding message names: 'Failed to bind parameter "int? tail" from "x".'</summary>
    [GeneratedRegex(@"parameter ""(?:[^""]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)""")]
    private static partial Regex BindingParameter();

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (LightNfvException e) when (!context.Response.HasStarted)
        {
            var field = e is DescriptorException d ? d.Field : FieldPrefix().Match(e.Message) is { Success: true } m ? m.Groups["field"].Value : null;
            await Write(context, Status(e.Kind), e.Kind.ToString(), e.Message, field).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var (field, detail) = Describe(e, context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType);
            var kind = e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => nameof(ErrorKind.TooLarge),
                StatusCodes.Status415UnsupportedMediaType => "UnsupportedMediaType",
                _ => nameof(ErrorKind.Invalid),
            };
            await Write(context, e.StatusCode is >= 400 and < 500 ? e.StatusCode : StatusCodes.Status400BadRequest, kind, detail, field).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // A bug, not bad input: logged with its trace here; the client gets the trace id, never internals.
            log.LogError(e, "{Method} {Path} failed (trace {Trace})", context.Request.Method, context.Request.Path, context.TraceIdentifier);
            await Write(context, StatusCodes.Status500InternalServerError, "Internal", $"the daemon failed on this request; its log has the details (trace {context.TraceIdentifier})", null).ConfigureAwait(false);
        }
    }

    /// <summary>The field a binding error is about and a message that starts with it, as every other error's does.</summary>
    private static (string? Field, string Detail) Describe(BadHttpRequestException e, Type? body)
    {
        string? field = null;
        var message = e.Message;
        if (e.InnerException is JsonException j)
        {
            field = j.Path is { } p && p.TrimStart('$', '.') is { Length: > 0 } f ? f : "body";
            message = Expected(body, j.Path) is { } expected ? $"expected {expected} ({j.Message})" : j.Message;
        }
        else if (BindingParameter().Match(e.Message) is { Success: true } m)
        {
            field = m.Groups["name"].Value;
        }
        else if (e.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            field = "Content-Type";
        }
        else if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            field = "body";
        }
        if (FieldPrefix().Match(message) is { Success: true } prefix)
        {
            return (field ?? prefix.Groups["field"].Value, message);
        }
        return (field, field is null ? message : $"{field}: {message}");
    }

    /// <summary>
    /// What the body's type wants at a JSON path ("$.replicas" of ScaleRequest: a whole number), so the answer says
    /// what to send rather than only the converter's "could not be converted to ScaleRequest".
    /// </summary>
    public static string? Expected(Type? body, string? path)
    {
        if (body is null || path is null)
        {
            return null;
        }
        var type = body;
        foreach (var name in path.TrimStart('$').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bare = name.Split('[')[0];
            var property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, bare, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                return null;
            }
            type = property.PropertyType;
            if (name.Contains('[', StringComparison.Ordinal))
            {
                type = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().FirstOrDefault() ?? type;
            }
        }
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            _ when type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(string) => "a string",
            _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type).Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n)))}",
            _ when type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => "a list",
            _ => "an object",
        };
    }

    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict or ErrorKind.State => StatusCodes.Status409Conflict,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Exhausted => StatusCodes.Status429TooManyRequests,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.Quota or ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The kind of a 412 answer (a stale If-Match): no <see cref="ErrorKind"/>, as only HTTP has preconditions.</summary>
    public const string PreconditionFailed = "PreconditionFailed";

    private static Task Write(HttpContext context, int status, string kind, string detail, string? field) =>
        Problem(context, status, kind, detail, field).ExecuteAsync(context);

    /// <summary>A problem document in the shape every error of the API has (for answers written outside this middleware).</summary>
    public static IResult Problem(HttpContext context, int status, string kind, string detail, string? field)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = kind switch
            {
                "Invalid" => "The request is invalid",
                "NotFound" => "Not found",
                "Conflict" => "Conflict",
                "State" => "Not allowed in the current state",
                "Unavailable" => "Not available on this host",
                "Exhausted" => "A quota or pool is exhausted",
                "Quota" => "Over the tenant's quota",
                "TooLarge" => "Over a size limit",
                "UnsupportedMediaType" => "Unsupported media type",
                PreconditionFailed => "The resource changed since the ETag given",
                "Internal" => "Internal error",
                _ => "The host refused the operation",
            },
            Type = $"https://lightnfv.dev/problems/{kind.ToLowerInvariant()}",
            Detail = detail,
            Instance = context.Request.Path,
        };
        if (field is not null)
        {
            problem.Extensions["field"] = field;
        }
        return Results.Problem(problem);
    }
}
