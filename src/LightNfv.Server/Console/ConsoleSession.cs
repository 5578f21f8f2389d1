using LightNfv.Core.Errors;
using Microsoft.AspNetCore.Antiforgery;

namespace LightNfv.Server.Console;

/// <summary>
/// The web console's sign-in, carried by a cookie: it holds the bearer the operator signed in with (an API token or an
/// SSO JWT), sealed with this daemon's data-protection key, HttpOnly and SameSite=Strict. Before authentication runs,
/// a request without an Authorization header but with the cookie gets the bearer as its header, so CallerAuthentication,
/// the access table and the tenant scope decide exactly as for the CLI: the console adds no rule of its own.
/// A request the cookie authenticates and that changes something (any method but GET and HEAD, the API's included)
/// must carry the antiforgery token of the page it came from (<see cref="ConsoleCsrf"/>).
/// </summary>
public sealed class ConsoleSession(RequestDelegate next, ConsoleCookie cookie)
{
    public const string Prefix = "/ui";
    internal const string FromCookie = "lightnfv.console.cookie";

    public async Task InvokeAsync(HttpContext context)
    {
        var page = IsPage(context.Request);
        var presented = context.Request.Headers.Authorization.Count > 0;
        if (!presented && context.Request.Cookies[ConsoleCookie.Name] is { Length: > 0 } sealedBearer)
        {
            if (cookie.Unseal(sealedBearer) is { } bearer)
            {
                context.Request.Headers.Authorization = "Bearer " + bearer;
                context.Items[FromCookie] = true;
                presented = true;
            }
            else
            {
                // Sealed by an earlier run of the daemon (its keys live in memory only): sign in again.
                ConsoleCookie.SignOut(context);
                if (page)
                {
                    SignInAgain(context, "your session ended when the daemon restarted; sign in again");
                    return;
                }
            }
        }
        // Without a session the caller may still be known (root on the unix socket: `bench api --path /ui/`), so
        // authentication decides; its refusal sends a browser to the sign-in page.
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (LightNfvException e) when (page && e.Kind == ErrorKind.Unauthenticated && !context.Response.HasStarted)
        {
            // A revoked or expired token, or a JWT past its lifetime: back to the sign-in page with the daemon's words.
            context.Response.Clear();
            ConsoleCookie.SignOut(context);
            SignInAgain(context, presented ? e.Message : null);
        }
        catch (LightNfvException e) when (page && !context.Response.HasStarted && !context.Request.Headers.ContainsKey("HX-Request"))
        {
            // A page, not a JSON client: the daemon's words in the console's frame (another tenant's object reads as absent).
            context.Response.Clear();
            context.Response.StatusCode = Api.ProblemMiddleware.Status(e.Kind);
            await ConsoleApp.Render<Pages.ErrorPage>(context, new { Message = e.Message, Status = context.Response.StatusCode }).ConfigureAwait(false);
        }
    }

    /// <summary>A console page that needs a signed-in caller: every /ui route but the sign-in page and the static files.</summary>
    private static bool IsPage(HttpRequest r) =>
        r.Path.StartsWithSegments(Prefix, StringComparison.Ordinal)
        && !r.Path.StartsWithSegments(Prefix + "/login", StringComparison.Ordinal)
        && !r.Path.StartsWithSegments(Prefix + "/static", StringComparison.Ordinal);

    private static void SignInAgain(HttpContext context, string? why)
    {
        var next = HttpMethods.IsGet(context.Request.Method) ? (context.Request.Path + context.Request.QueryString).ToString() : Prefix;
        var fields = new Dictionary<string, string?> { ["next"] = next };
        if (why is not null)
        {
            fields["error"] = why;
        }
        var query = QueryString.Create(fields);
        // htmx follows a redirect inside the fragment it asked for; HX-Redirect makes it load the whole page instead.
        if (context.Request.Headers.ContainsKey("HX-Request"))
        {
            context.Response.Headers["HX-Redirect"] = Prefix + "/login" + query;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        context.Response.Redirect(Prefix + "/login" + query);
    }
}

/// <summary>
/// Refuses a change made with the console's cookie unless it carries the antiforgery token of a console page (a form
/// field, or the X-CSRF-TOKEN header the console's script sends to the API), so another site cannot act with it.
/// Runs after authentication: the token is bound to the signed-in caller.
/// </summary>
public sealed class ConsoleCsrf(RequestDelegate next, IAntiforgery antiforgery)
{
    public const string HeaderName = "X-CSRF-TOKEN";
    public const string FieldName = "__csrf";

    public async Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var unsafeMethod = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method);
        var signIn = HttpMethods.IsPost(method) && context.Request.Path.Equals(ConsoleSession.Prefix + "/login", StringComparison.Ordinal);
        if (unsafeMethod && (context.Items.ContainsKey(ConsoleSession.FromCookie) || signIn))
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                throw new LightNfvException(ErrorKind.Forbidden,
                    $"{HeaderName}: a change made with the console's sign-in needs the token of the page it came from; reload the page and try again");
            }
        }
        await next(context).ConfigureAwait(false);
    }
}
