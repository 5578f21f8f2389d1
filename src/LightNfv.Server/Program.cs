using LightNfv.Server.Daemon;

var app = ServerApp.Build(args, DaemonOptions.FromArgs(args));
await app.RunAsync().ConfigureAwait(false);

/// <summary>The daemon's entry point (WebApplicationFactory&lt;Program&gt; in tests; `lightnfv serve` hosts <see cref="ServerApp"/> itself).</summary>
public partial class Program;
