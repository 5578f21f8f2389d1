using LightNfv.Backends;
using LightNfv.Bench.Reports;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Host.Logs;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using LightNfv.Server.Auth;
using LightNfv.Server.Console.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LightNfv.Server.Console;

/// <summary>Who is signed in and the antiforgery token of the page being rendered.</summary>
public sealed record ConsolePage(Caller Caller, string Csrf);

/// <summary>
/// The web console under /ui: server-rendered pages (Razor components, no build step) over the platform's own
/// services, read with the caller's tenant scope exactly as the API reads them; every change goes through the API
/// itself (the page's script sends it with the antiforgery token), so the access table decides for the console too.
/// </summary>
public static class ConsoleApp
{
    /// <summary>Static files compiled into the assembly: the pinned htmx, the console's script and style.</summary>
    private static readonly IReadOnlyDictionary<string, string> StaticTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["htmx-2.0.4.min.js"] = "text/javascript",
        ["console.js"] = "text/javascript",
        ["console.css"] = "text/css",
    };

    public static void Add(IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = ConsoleCsrf.HeaderName;
            o.FormFieldName = ConsoleCsrf.FieldName;
            o.Cookie.Name = "lnfv_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
        });
        services.AddSingleton<ConsoleCookie>();
    }

    public static void Map(WebApplication app)
    {
        var ui = app.MapGroup(ConsoleSession.Prefix).ExcludeFromDescription();

        ui.MapGet("/static/{file}", (string file) => StaticTypes.TryGetValue(file, out var type)
            ? Results.Stream(typeof(ConsoleApp).Assembly.GetManifestResourceStream("console/" + file)!, type)
            : throw new LightNfvException(ErrorKind.NotFound, $"file: the console has no static file '{file}'"));

        ui.MapGet("/login", (HttpContext http, string? next, string? error, IAntiforgery antiforgery) =>
            Page<LoginPage>(new { Csrf = antiforgery.GetAndStoreTokens(http).RequestToken!, Error = error, Next = SafeNext(next) }));
        ui.MapPost("/login", async (HttpContext http, ConsoleCookie cookie) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
            var bearer = form["token"].ToString().Trim();
            var next = SafeNext(form["next"]);
            if (bearer.Length == 0)
            {
                return Results.Redirect($"{ConsoleSession.Prefix}/login{QueryString.Create(new Dictionary<string, string?> { ["next"] = next, ["error"] = "token: paste an API token or an SSO JWT" })}");
            }
            // Checked on the first page it opens, by the same code every API call goes through; a bad one comes back here.
            cookie.SignIn(http, bearer);
            return Results.Redirect(next);
        });
        ui.MapPost("/logout", (HttpContext http) =>
        {
            ConsoleCookie.SignOut(http);
            return Results.Redirect(ConsoleSession.Prefix + "/login");
        });

        ui.MapGet("/", (HttpContext http, PlatformStore store, IAntiforgery antiforgery) =>
        {
            var query = InventoryQuery.From(http.Request.Query);
            return Page<InventoryPage>(new
            {
                Page = PageOf(http, antiforgery),
                View = Inventory(store, query),
                Query = query,
                Vnfs = Scope.Filter(store.Deployments(), d => d.Tenant).OrderBy(d => d.Name, StringComparer.Ordinal).ToList(),
            });
        });
        ui.MapGet("/inventory/rows", (HttpContext http, PlatformStore store) =>
        {
            var query = InventoryQuery.From(http.Request.Query);
            return Page<InventoryRows>(new { View = Inventory(store, query), Query = query });
        });

        ui.MapGet("/instances/{id}", async (HttpContext http, string id, PlatformStore store, InstanceService instances, InstanceMonitor monitor, IAntiforgery antiforgery) =>
        {
            var r = Visible(store, id);
            return Page<InstancePage>(new
            {
                Page = PageOf(http, antiforgery),
                R = r,
                History = monitor.HistoryOf(r.Id),
                Log = await LogTail(instances, r.Id, http.RequestAborted).ConfigureAwait(false),
                Limits = Limits(r),
                Resources = Resources(r),
            });
        });
        ui.MapGet("/instances/{id}/chart", (string id, PlatformStore store, InstanceMonitor monitor) =>
            Page<StatsChart>(new { History = monitor.HistoryOf(Visible(store, id).Id) }));
        ui.MapGet("/instances/{id}/log", async (string id, PlatformStore store, InstanceService instances, CancellationToken ct) =>
            Results.Text(await LogTail(instances, Visible(store, id).Id, ct).ConfigureAwait(false), "text/plain"));

        ui.MapGet("/vnfs/{tenant}/{name}", (HttpContext http, string tenant, string name, PlatformStore store, IAntiforgery antiforgery) =>
        {
            var d = VisibleVnf(store, tenant, name);
            var replicas = Replicas(store, d);
            return Page<VnfPage>(new
            {
                Page = PageOf(http, antiforgery),
                D = d,
                Replicas = replicas,
                Versions = store.DescriptorVersions(d.Tenant, d.Name).OrderBy(v => v.Version).ToList(),
                Update = UpdateProgress.Of(d, replicas, store.Operations()),
            });
        });
        ui.MapGet("/vnfs/{tenant}/{name}/replicas", (string tenant, string name, PlatformStore store) =>
        {
            var d = VisibleVnf(store, tenant, name);
            var replicas = Replicas(store, d);
            return Page<ReplicaRows>(new { Replicas = replicas, Update = UpdateProgress.Of(d, replicas, store.Operations()) });
        });

        ui.MapGet("/alerts", (HttpContext http, PlatformStore store, IAntiforgery antiforgery) =>
            Page<AlertsPage>(new
            {
                Page = PageOf(http, antiforgery),
                Events = store.PlatformEvents(0, null, null, 200).Where(Api.AlertsApi.Visible).Reverse().ToList(),
            }));
        ui.MapGet("/audit", (HttpContext http, string? q, PlatformStore store, IAntiforgery antiforgery) =>
        {
            var caller = Caller.Current;
            var records = store.AuditRecords(caller.Tenant, null, 0, 1000).AsEnumerable();
            if (!string.IsNullOrWhiteSpace(q))
            {
                records = records.Where(r => r.Actor.Contains(q, StringComparison.OrdinalIgnoreCase) || r.Action.Contains(q, StringComparison.OrdinalIgnoreCase)
                    || r.Target.Contains(q, StringComparison.OrdinalIgnoreCase));
            }
            return Page<AuditPage>(new
            {
                Page = PageOf(http, antiforgery),
                Records = records.Reverse().ToList(),
                // Verifying reads every tenant's records: an admin's, as in the API.
                Verdict = caller.Role == Role.Admin ? store.VerifyAudit() : null,
                Q = q,
            });
        });
        ui.MapGet("/operations", (HttpContext http, PlatformStore store, IAntiforgery antiforgery) =>
            Page<OperationsPage>(new { Page = PageOf(http, antiforgery), Operations = Operations(store) }));
        ui.MapGet("/operations/rows", (PlatformStore store) => Page<OperationRows>(new { Operations = Operations(store) }));
        ui.MapGet("/tenants", (HttpContext http, PlatformStore store, IAntiforgery antiforgery) =>
            Page<TenantsPage>(new
            {
                Page = PageOf(http, antiforgery),
                Tenants = store.Tenants().Where(t => Caller.Current.Sees(t.Name)).Select(t => Api.TenantDto.Of(t, store)).ToList(),
                // Tokens are an admin's (as GET /api/v1/tokens is).
                Tokens = Caller.Current.Role == Role.Admin ? store.Tokens().Select(Api.TokenDto.Of).ToList() : null,
            }));
        // The latest bench run of this state directory (see LatestResults): no tenant data, any signed-in role reads it.
        ui.MapGet("/bench", (HttpContext http, PlatformOptions options, IAntiforgery antiforgery) =>
        {
            var (report, where) = LatestResults.Read(options.StateDirectory);
            return Page<BenchPage>(new { Page = PageOf(http, antiforgery), Report = report, Where = where });
        });
        ui.MapGet("/host", (HttpContext http, BackendRegistry backends, IAntiforgery antiforgery) =>
            Page<HostPage>(new
            {
                Page = PageOf(http, antiforgery),
                Probes = Enum.GetValues<Technology>().Select(t => (t.ToName(), backends.Probe(t))).ToList(),
            }));
    }

    /// <summary>Renders a component as the whole response (the console's error page, outside an endpoint).</summary>
    public static Task Render<T>(HttpContext context, object parameters)
        where T : IComponent => Page<T>(parameters).ExecuteAsync(context);

    private static RazorComponentResult<T> Page<T>(object parameters)
        where T : IComponent => new(parameters) { ContentType = "text/html; charset=utf-8" };

    private static ConsolePage PageOf(HttpContext http, IAntiforgery antiforgery) => new(Caller.Current, antiforgery.GetAndStoreTokens(http).RequestToken!);

    private static List<Api.OperationDto> Operations(PlatformStore store) =>
        Scope.Filter(store.Operations(null), o => o.Tenant).OrderByDescending(o => o.CreatedAt).Take(200).Select(Api.OperationDto.Of).ToList();

    private static InventoryView Inventory(PlatformStore store, InventoryQuery query) =>
        InventoryView.Of(Scope.Filter(store.List(), r => r.Tenant).ToList(), query);

    /// <summary>An instance by id or name as the caller sees it: another tenant's reads as absent, in Resolve's words.</summary>
    private static InstanceRecord Visible(PlatformStore store, string reference)
    {
        var matches = store.Match(reference).Where(r => Caller.Current.Sees(r.Tenant)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new LightNfvException(ErrorKind.NotFound, $"no instance matches '{reference}'; the inventory lists them"),
            _ => throw new LightNfvException(ErrorKind.Conflict, $"'{reference}' matches {matches.Count} instances; give more of the id"),
        };
    }

    private static Deployment VisibleVnf(PlatformStore store, string tenant, string name) =>
        (Caller.Current.Sees(tenant) ? store.Deployment(tenant, name) : null)
        ?? throw new LightNfvException(ErrorKind.NotFound, $"name: VNF '{name}' is not instantiated; the inventory lists the VNFs");

    private static List<InstanceRecord> Replicas(PlatformStore store, Deployment d) =>
        store.List().Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();

    private static string Limits(InstanceRecord r) => Resources(r) is { } res
        ? $"{res.Vcpus} vCPU, {res.MemoryMiB} MiB, {res.Pids} pids{(res.CpuSet is { } c ? $", CPUs {c}" : "")}{(res.BandwidthMbps is { } b ? $", {b} Mbit/s" : "")}"
        : "";

    private static ResourceSpec? Resources(InstanceRecord r)
    {
        try
        {
            return DescriptorParser.Parse(r.Descriptor).Spec.Resources;
        }
        catch (LightNfvException)
        {
            return null;
        }
    }

    private static async Task<string> LogTail(InstanceService instances, string id, CancellationToken ct)
    {
        var lines = new List<string>();
        try
        {
            await foreach (var line in instances.ReadLogAsync(id, new LogQuery(Tail: 50), ct).ConfigureAwait(false))
            {
                lines.Add(line.Text);
            }
        }
        catch (LightNfvException e)
        {
            return e.Message;
        }
        return string.Join('\n', lines);
    }

    /// <summary>Where to go after signing in: a console path only (never another site, nor a protocol-relative //host).</summary>
    private static string SafeNext(string? next) =>
        next is { Length: > 0 } n && n.StartsWith(ConsoleSession.Prefix, StringComparison.Ordinal) && !n.StartsWith("//", StringComparison.Ordinal)
            && !n.Contains('\\', StringComparison.Ordinal) ? n : ConsoleSession.Prefix + "/";
}
