using System.Text.Json;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using Microsoft.AspNetCore.Mvc;

namespace LightNfv.Server.Api;

/// <summary>
/// Turns errors into RFC 7807 problem details: the status from the error kind, the message as detail, and the field
/// it names (descriptor path, request field) as an extension member "field", so a client can point at it.
/// </summary>
public sealed partial class ProblemMiddleware(RequestDelegate next)
{
    [GeneratedRegex(@"^(?<field>[A-Za-z][A-Za-z0-9_.\[\]-]*)( \(line \d+\))?: ")]
    private static partial Regex FieldPrefix();

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
            var field = e.InnerException is JsonException { Path: { } p } ? p.TrimStart('$', '.') : null;
            await Write(context, StatusCodes.Status400BadRequest, "Invalid", e.InnerException?.Message ?? e.Message, field).ConfigureAwait(false);
        }
    }

    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict or ErrorKind.State => StatusCodes.Status409Conflict,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Exhausted => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static Task Write(HttpContext context, int status, string kind, string detail, string? field)
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
        return Results.Problem(problem).ExecuteAsync(context);
    }
}
