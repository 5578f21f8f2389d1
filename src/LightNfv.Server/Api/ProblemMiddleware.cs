using System.Text.Json;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
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
            var (field, detail) = Describe(e);
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
    private static (string? Field, string Detail) Describe(BadHttpRequestException e)
    {
        string? field = null;
        var message = e.Message;
        if (e.InnerException is JsonException j)
        {
            field = j.Path is { } p && p.TrimStart('$', '.') is { Length: > 0 } f ? f : "body";
            message = j.Message;
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

    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict or ErrorKind.State => StatusCodes.Status409Conflict,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Exhausted => StatusCodes.Status429TooManyRequests,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
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
                "TooLarge" => "Over a size limit",
                "UnsupportedMediaType" => "Unsupported media type",
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
        return Results.Problem(problem).ExecuteAsync(context);
    }
}
