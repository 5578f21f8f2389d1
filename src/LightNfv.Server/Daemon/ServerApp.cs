using System.Text.Json;
using System.Text.Json.Serialization;
using LightNfv.Core.Configuration;
using LightNfv.Host.Processes;
using LightNfv.Host.UnixSockets;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Quarantine;
using LightNfv.Platform.Events;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Scaling;
using LightNfv.Platform.Store;
using LightNfv.Server.Api;
using LightNfv.Server.Api.OpenApi;
using LightNfv.Server.Api.Sol003;
using LightNfv.Server.Auth;
using LightNfv.Server.Console;
using Microsoft.AspNetCore.Http.Json;

namespace LightNfv.Server.Daemon;

/// <summary>Builds the daemon: the platform's services, the loops as a hosted service, the API, the listeners.</summary>
public static class ServerApp
{
    /// <summary>Request bodies outside the descriptor routes are small JSON documents.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The unix socket's mode: 0666, as every caller but root authenticates with a token (see CallerAuthentication).</summary>
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public static WebApplication Build(string[] args, DaemonOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(ServerApp).Assembly.GetName().Name });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Per-request logs cost more than the request itself at hundreds per second; the platform's own events stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The webhook client's per-request lines (a refused callback with its stack trace, at info): the dispatcher logs its own.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        AddPlatform(builder.Services, options);
        ConsoleApp.Add(builder.Services);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // Statuses the framework answers without a handler (no route, wrong method or media type) say what to do.
            var r = c.HttpContext.Request;
            c.ProblemDetails.Instance ??= r.Path;
            c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
            {
                StatusCodes.Status404NotFound => $"no resource at {r.Method} {r.Path}; the API is under /api/v1 (GET /openapi/v1.json lists every route)",
                StatusCodes.Status405MethodNotAllowed => $"{r.Method} is not allowed on {r.Path}; GET /openapi/v1.json lists each route's methods",
                StatusCodes.Status415UnsupportedMediaType => $"Content-Type: '{r.ContentType}' is not accepted by {r.Method} {r.Path}; GET /openapi/v1.json lists the media types each route takes",
                _ => null,
            };
            if (c.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType)
            {
                c.ProblemDetails.Extensions.TryAdd("field", "Content-Type");
            }
        });
        // A request that cannot be bound (wrong JSON type, bad query value, wrong content type) throws, so
        // ProblemMiddleware answers it with a problem document naming the field; by default only Development does.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddCallerRateLimit();
        builder.Services.AddOpenApi("v1", o => o.AddOperationIds().AddProblemField());
        builder.Services.Configure<JsonOptions>(o => Configure(o.SerializerOptions));
        var kestrel = false;
        builder.WebHost.ConfigureKestrel(k =>
        {
            kestrel = true;
            // Descriptor routes raise their own limit (DescriptorsApi.MaxBodyBytes); everything else is small.
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // Before the socket is made in it (the store narrows it too, but only once it is opened).
            StoreFileModes.SecureDirectory(options.Host.StateDirectory);
            if (options.SocketPath.Length > 0)
            {
                PrepareSocket(options.SocketPath);
                k.ListenUnixSocket(options.SocketPath);
            }
            if (options.Listen is { } ep)
            {
                k.Listen(ep);
            }
        });
        var app = builder.Build();
        // Error statuses that no handler wrote a body for (no route, wrong method) get a problem document too.
        app.UseStatusCodePages();
        app.UseMiddleware<ProblemMiddleware>();
        // The console's cookie becomes the request's bearer before authentication; its changes need the page's token after.
        app.UseMiddleware<ConsoleSession>();
        app.UseMiddleware<CallerAuthentication>();
        app.UseMiddleware<ConsoleCsrf>();
        // Per caller: authentication (which sets Caller.Current) runs before this.
        app.UseRateLimiter();
        if (options.SocketPath.Length > 0)
        {
            // Kestrel makes the socket with the umask's mode. Every caller but uid 0 must send a token (CallerAuthentication),
            // so the socket is 0666: its mode says "anyone may knock, the door checks". The default path is in the 0700
            // state directory all the same, so only a --socket elsewhere lets other users reach it.
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                // Only the socket this process made: an in-process test server makes none (the path may be a real daemon's).
                if (kestrel && !OperatingSystem.IsWindows() && File.Exists(options.SocketPath))
                {
                    File.SetUnixFileMode(options.SocketPath, SocketMode);
                }
            });
        }
        // One document: a fixed route, so any other name is an ordinary 404 problem rather than the generator's plain text.
        app.MapOpenApi("/openapi/v1.json").AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.Request.Query.ContainsKey("documentName")
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "documentName: the one OpenAPI document is v1, at /openapi/v1.json",
                    extensions: new Dictionary<string, object?> { ["field"] = "documentName" })
                : await next(ctx).ConfigureAwait(false));
        var v1 = app.MapGroup("/api/v1").WithErrorResponses();
        DescriptorsApi.Map(v1);
        VnfsApi.Map(v1);
        InstancesApi.Map(v1);
        OperationsApi.Map(v1);
        AlertsApi.Map(v1);
        TenantsApi.Map(v1);
        TokensApi.Map(v1);
        AuditApi.Map(v1);
        StatusApi.Map(v1, app.Services.GetRequiredService<TimeProvider>());
        StatusApi.MapProbes(app);
        MetricsApi.Map(app);
        app.MapSol003();
        ConsoleApp.Map(app);
        return app;
    }

    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    }

    /// <summary>Registers the platform's parts, each built by <see cref="PlatformServices"/> (the one composition root).</summary>
    public static void AddPlatform(IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.Host);
        services.AddSingleton(TimeProvider.System);
        // Built from the registered options, so a test server's replacement options are the ones used.
        services.AddSingleton(sp => PlatformServices.Open(sp.GetRequiredService<PlatformOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().Context);
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().Backends);
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().Store);
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().Instances);
        // Webhooks and the subscription check go only to loopback (never the lab, link-local or metadata): the client's handler connects nowhere else.
        services.AddSingleton(sp => CallbackPolicy.For(sp.GetRequiredService<PlatformOptions>()));
        services.AddHttpClient(nameof(WebhookDispatcher), c => c.Timeout = TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<CallbackPolicy>().CreateHandler());
        services.AddSingleton(sp => new WebhookDispatcher(sp.GetRequiredService<PlatformStore>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(WebhookDispatcher)), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<WebhookDispatcher>>()));
        services.AddSingleton<AlertHub>();
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().CreateMonitor(sp.GetRequiredService<ILogger<InstanceMonitor>>()));
        services.AddSingleton(sp => sp.GetRequiredService<PlatformServices>().CreateReconciler(sp.GetRequiredService<AlertHub>(),
            sp.GetRequiredService<ILogger<Reconciler>>(), sp.GetRequiredService<DaemonOptions>().ReconcileInterval));
        services.AddSingleton<VnfLifecycle>();
        Authentication.Add(services);
        services.AddSingleton<AutoScaler>();
        services.AddSingleton<SpoofQuarantine>();
        services.AddHostedService<ControlPlaneService>();
    }

    /// <summary>Removes a stale socket file left by a killed daemon; refuses if a live daemon answers on it.</summary>
    private static void PrepareSocket(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (UnixHttp.Answers(path))
        {
            throw new Core.Errors.LightNfvException(Core.Errors.ErrorKind.Conflict,
                $"a LightNFV daemon already listens on {path}; stop it first, or give this one its own LIGHTNFV_STATE_DIR or --socket");
        }
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}

/// <summary>Runs the control plane's loops for the daemon's lifetime. Instances keep running when it stops.</summary>
public sealed class ControlPlaneService(DaemonOptions options, Reconciler reconciler, InstanceMonitor monitor, AutoScaler scaler,
    SpoofQuarantine spoofing, WebhookDispatcher webhooks) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _monitor;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Supervisors of the VNFs this daemon starts are re-parented to it; the backends reap them (see ChildReaper).
        ChildReaper.EnableSubreaper();
        webhooks.Start();
        if (options.RunLoops)
        {
            reconciler.Start();
            scaler.Attach();
            spoofing.Attach();
            _monitor = Task.Run(() => monitor.RunAsync(options.MonitorInterval, _stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Once; a second call waits for the first. Under WebApplicationFactory the host is stopped twice at the same time
    /// (the factory's dispose and the entry point's RunAsync), and the second must not go on to dispose the store
    /// while the first still waits for loops that read it.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            return _stopping ??= StopOnceAsync();
        }
    }

    private readonly Lock _stopGate = new();
    private Task? _stopping;

    private async Task StopOnceAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_monitor is not null)
        {
            await _monitor.ConfigureAwait(false);
        }
        await spoofing.DrainAsync().ConfigureAwait(false); // a quarantine it started finishes before the reconciler goes
        await reconciler.DisposeAsync().ConfigureAwait(false);
        await webhooks.DisposeAsync().ConfigureAwait(false);
        if (options.SocketPath.Length > 0 && File.Exists(options.SocketPath))
        {
            File.Delete(options.SocketPath);
        }
    }
}
