using System.CommandLine;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Statistics;
using LightNfv.Core.Errors;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `bench api`, `bench heal`, `bench readopt`: the daemon's figures, each from a `lightnfv serve` child process this
/// command starts (with the caller's LIGHTNFV_* lab) and stops, so the numbers come from re-runnable commands.
/// </summary>
public static partial class BenchDaemonCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Api();
        yield return Heal();
        yield return Readopt();
        yield return Update();
        yield return Quarantine();
    }

    private static Option<DirectoryInfo> Out() => new("--out", "-o") { Description = "Where the JSON and Markdown go", DefaultValueFactory = _ => new DirectoryInfo("bench-out") };

    private static DaemonProcess Daemon(PlatformContext ctx, string dir)
    {
        if (DaemonClient.TryConnect() is { } running)
        {
            running.Dispose();
            throw new LightNfvException(ErrorKind.Conflict, $"a daemon already serves {DaemonClient.SocketPath}; the bench starts its own: stop that one, or point LIGHTNFV_STATE_DIR elsewhere");
        }
        Directory.CreateDirectory(dir);
        var self = Environment.ProcessPath!;
        var socket = Path.Combine(ctx.Options.StateDirectory, "lightnfv.sock");
        string[] command = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [self, typeof(Cli).Assembly.Location, "serve", "--socket", socket]
            : [self, "serve", "--socket", socket];
        return new DaemonProcess(command, socket, Path.Combine(dir, "daemon.log"));
    }

    private static string CommandLine => "lightnfv " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    private static Command Api()
    {
        var rate = new Option<double>("--rate") { Description = "Requests per second", DefaultValueFactory = _ => 200 };
        var duration = new Option<double>("--duration") { Description = "Seconds of load", DefaultValueFactory = _ => 10 };
        var instances = new Option<int>("--instances") { Description = "Instances in the store while measuring", DefaultValueFactory = _ => 10 };
        var path = new Option<string>("--path") { Description = "API path to GET", DefaultValueFactory = _ => "/api/v1/instances" };
        var output = Out();
        var cmd = new Command("api", "Latency of an API GET at a fixed rate over the unix socket (open loop); writes api-latency.json/md") { rate, duration, instances, path, output };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            var dir = pr.GetValue(output)!.FullName;
            using var daemon = Daemon(ctx, dir);
            await daemon.StartAsync(token).ConfigureAwait(false);
            using var http = UnixHttp.Create(daemon.Socket);
            var n = pr.GetValue(instances);
            // A VNF holds at most MaxReplicas replicas: a larger fleet is several VNFs of the same descriptor.
            var fleet = Enumerable.Range(0, (n + Core.Descriptors.DescriptorParser.MaxReplicas - 1) / Core.Descriptors.DescriptorParser.MaxReplicas)
                .Select(i => (Name: i == 0 ? "bench-api" : $"bench-api-{i + 1}", Replicas: Math.Min(Core.Descriptors.DescriptorParser.MaxReplicas, n - (i * Core.Descriptors.DescriptorParser.MaxReplicas))))
                .ToList();
            foreach (var (name, replicas) in fleet)
            {
                await http.PostAsync("api/v1/descriptors", new StringContent(DaemonBench.Descriptor(name, "process", 5000), System.Text.Encoding.UTF8, "application/yaml"), token).ConfigureAwait(false);
                await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/instantiate", new { replicas }, token).ConfigureAwait(false);
            }
            try
            {
                var experiment = new ApiLatencyExperiment(daemon.Socket, pr.GetValue(path)!.TrimStart('/'), pr.GetValue(rate), TimeSpan.FromSeconds(pr.GetValue(duration)));
                var started = DateTime.UtcNow;
                var (latencies, errors, service) = await experiment.RunAsync(token).ConfigureAwait(false);
                var elapsed = (DateTime.UtcNow - started).TotalSeconds;
                var sorted = latencies.Order().ToArray();
                var result = new ApiLatencyResult(pr.GetValue(path)!, daemon.Socket, pr.GetValue(rate), pr.GetValue(duration), latencies.Count, errors, n,
                    Summary.Of(latencies), Summary.Percentile(sorted, 90), latencies.Count / elapsed, CommandLine, DateTimeOffset.UtcNow)
                {
                    ServiceMs = Summary.Of(service),
                    ServiceP90Ms = Summary.Percentile(service.Order().ToArray(), 90),
                };
                ApiLatencyExperiment.Write(result, dir);
                Console.WriteLine(File.ReadAllText(Path.Combine(dir, "api-latency.md")));
            }
            finally
            {
                foreach (var (name, _) in fleet)
                {
                    await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/terminate", new { }, token).ConfigureAwait(false);
                    await http.DeleteAsync($"api/v1/descriptors/{name}", token).ConfigureAwait(false);
                }
            }
            return 0;
        }, ct));
        return cmd;
    }

    private static Command Heal()
    {
        var runs = new Option<int>("--runs") { Description = "kill -9 / heal cycles", DefaultValueFactory = _ => 10 };
        var tech = new Option<string>("--tech") { Description = "Technology of the VNF (process or container)", DefaultValueFactory = _ => "process" };
        var output = Out();
        var cmd = new Command("heal", "kill -9 a VNF under the daemon and time until it answers TCP again; writes heal.json/md") { runs, tech, output };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            await WithDaemonBench(ctx, pr.GetValue(output)!.FullName, "heal",
                bench => bench.HealAsync(pr.GetValue(tech)!, pr.GetValue(runs), token), DaemonBench.Markdown).ConfigureAwait(false);
            return 0;
        }, ct));
        return cmd;
    }

    /// <summary>Runs one daemon experiment against a daemon of its own, then writes its JSON and Markdown and prints the table.</summary>
    private static async Task<T> WithDaemonBench<T>(PlatformContext ctx, string dir, string name, Func<DaemonBench, Task<T>> run, Func<T, string> markdown)
        where T : notnull
    {
        LightNfv.Host.Processes.ChildReaper.EnableSubreaper();
        using var daemon = Daemon(ctx, dir);
        var bench = new DaemonBench(daemon, ctx.Host.Lab, CommandLine);
        bench.Progress += l => Console.Error.WriteLine(l);
        var result = await run(bench).ConfigureAwait(false);
        var md = markdown(result);
        DaemonBench.Write(dir, name, result, md);
        Console.WriteLine(md);
        return result;
    }

    private static Command Readopt()
    {
        var count = new Option<int>("--count") { Description = "Running instances", DefaultValueFactory = _ => 50 };
        var runs = new Option<int>("--runs") { Description = "kill -9 / restart cycles", DefaultValueFactory = _ => 3 };
        var output = Out();
        var cmd = new Command("readopt", "Run N instances under the daemon, kill -9 the daemon, restart it, time until it has re-adopted them; writes readopt.json/md") { count, runs, output };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            var result = await WithDaemonBench(ctx, pr.GetValue(output)!.FullName, "readopt",
                bench => bench.ReadoptAsync(pr.GetValue(count), pr.GetValue(runs), token), DaemonBench.Markdown).ConfigureAwait(false);
            return result.Adopted.All(a => a == result.Count) && result.Duplicates == 0 && result.Orphans == 0 ? 0 : 8;
        }, ct));
        return cmd;
    }
}
