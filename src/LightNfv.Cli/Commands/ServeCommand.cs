using System.CommandLine;
using LightNfv.Core.Errors;
using LightNfv.Server.Daemon;

namespace LightNfv.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var socket = new Option<string?>("--socket") { Description = "Unix socket to listen on (default $LIGHTNFV_SOCKET, else $LIGHTNFV_STATE_DIR/lightnfv.sock)" };
        var listen = new Option<string?>("--listen") { Description = "Also listen on TCP, loopback only: PORT or 127.0.0.1:PORT (every call there needs a bearer token)" };
        var cmd = new Command("serve", "Run the platform daemon: REST API (/api/v1, /metrics, /openapi/v1.json), reconcile, monitoring, healing, scaling, alerts") { socket, listen };
        cmd.SetAction(async (pr, ct) =>
        {
            try
            {
                var options = new DaemonOptions
                {
                    UnixSocket = pr.GetValue(socket),
                    Listen = pr.GetValue(listen) is { } l ? DaemonOptions.ParseListen(l) : null,
                };
                // The store is checked before anything starts: a damaged, foreign or unwritable one is one line here,
                // not a host start-up failure with a trace.
                using (Platform.Store.PlatformStore.OpenIn(options.Host.StateDirectory))
                {
                }
                var app = ServerApp.Build([], options);
                if (options.Listen is { } tcp)
                {
                    Console.Error.WriteLine($"lightnfv: http://{tcp} answers only calls with 'Authorization: Bearer' (an API token from 'lightnfv token create', or a JWT of the configured issuer)");
                }
                Console.Error.WriteLine($"lightnfv: serving on unix:{options.SocketPath}{(options.Listen is { } ep ? $" and http://{ep}" : "")}");
                // With the command's token: System.CommandLine takes SIGTERM and Ctrl-C and cancels it; without it the daemon
                // heard of neither and was cut off after the 30 s termination timeout (`down --with-daemon`, the benches' Stop).
                await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.RunAsync(app, ct).ConfigureAwait(false);
                return 0;
            }
            catch (LightNfvException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Cli.ExitCode(e.Kind);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                var explained = Platform.Store.StoreErrors.Explain(e, PlatformContext.StorePath(new Core.Configuration.PlatformOptions()));
                Console.Error.WriteLine($"error: {explained.Message}");
                return Cli.ExitCode(explained.Kind);
            }
        });
        return cmd;
    }
}
