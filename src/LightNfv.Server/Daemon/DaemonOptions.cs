using System.Net;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;

namespace LightNfv.Server.Daemon;

/// <summary>How the daemon runs: where it listens, how often its loops turn. Host names come from <see cref="PlatformOptions"/> (LIGHTNFV_* variables).</summary>
public sealed record DaemonOptions
{
    public PlatformOptions Host { get; init; } = new();

    /// <summary>The unix socket the API listens on; default &lt;state dir&gt;/lightnfv.sock. Empty: no unix socket.</summary>
    public string? UnixSocket { get; init; }

    /// <summary>Also listen on TCP at this loopback endpoint (e.g. 127.0.0.1:8080), when asked.</summary>
    public IPEndPoint? Listen { get; init; }

    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests per second each caller may send (<see cref="CallerRateLimit"/>; LIGHTNFV_RATE_LIMIT).</summary>
    public CallerRateLimit RateLimit { get; init; } = CallerRateLimit.FromEnvironment();

    /// <summary>Whether to run the reconciler, monitor and scaler (API-only tests turn them off).</summary>
    public bool RunLoops { get; init; } = true;

    public string SocketPath => UnixSocket ?? DefaultSocket(Host.StateDirectory);

    /// <summary>
    /// $LIGHTNFV_SOCKET when set, else lightnfv.sock in the state directory: the CLI looks for the daemon there too, so
    /// both must read the variable or a daemon started with it set is invisible to the CLI (and `down` would remove its lab).
    /// </summary>
    public static string DefaultSocket(string stateDirectory) =>
        Environment.GetEnvironmentVariable("LIGHTNFV_SOCKET") is { Length: > 0 } s ? s : Path.Combine(stateDirectory, "lightnfv.sock");

    /// <summary>Reads --socket PATH and --listen HOST:PORT (the rest of the command line is ASP.NET Core's).</summary>
    public static DaemonOptions FromArgs(string[] args)
    {
        var o = new DaemonOptions();
        for (var i = 0; i + 1 < args.Length; i++)
        {
            switch (args[i])
            {
                case "--socket":
                    o = o with { UnixSocket = args[i + 1] };
                    break;
                case "--listen":
                    o = o with { Listen = ParseListen(args[i + 1]) };
                    break;
            }
        }
        return o;
    }

    /// <summary>PORT or HOST:PORT; only loopback is accepted (the daemon is a local control plane; every TCP call needs a token).</summary>
    public static IPEndPoint ParseListen(string text)
    {
        if (int.TryParse(text, out var port))
        {
            text = $"127.0.0.1:{port}";
        }
        if (!IPEndPoint.TryParse(text, out var ep) || ep.Port == 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"--listen: '{text}' is not HOST:PORT; use e.g. 127.0.0.1:8080");
        }
        if (!IPAddress.IsLoopback(ep.Address))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"--listen: {ep.Address} is not a loopback address; the daemon listens on 127.0.0.1 or ::1 only (reach it from elsewhere through an SSH tunnel or a reverse proxy)");
        }
        return ep;
    }
}
