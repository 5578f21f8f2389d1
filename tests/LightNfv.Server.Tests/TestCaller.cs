using LightNfv.Core.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LightNfv.Server.Tests;

/// <summary>
/// Stands in for the authentication step (which sets <see cref="Caller.Current"/> per request) ahead of the daemon's
/// pipeline: a request with <c>X-Test-Caller: ACTOR/TENANT/ROLE</c> runs as that caller, any other as uid 0.
/// </summary>
public sealed class TestCaller : IStartupFilter
{
    public const string Header = "X-Test-Caller";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (HttpContext ctx, Func<Task> nextMiddleware) =>
        {
            if (ctx.Request.Headers[Header].ToString() is { Length: > 0 } h && h.Split('/') is [var actor, var tenant, var role])
            {
                Caller.Current = new Caller(actor, tenant, Enum.Parse<Role>(role, ignoreCase: true));
            }
            await nextMiddleware();
        });
        next(app);
    };
}
