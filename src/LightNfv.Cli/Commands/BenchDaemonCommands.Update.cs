using System.CommandLine;
using LightNfv.Bench.Experiments;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

public static partial class BenchDaemonCommands
{
    /// <summary>`bench update`: connections to a VNF's service address during a rolling update (issue 14's acceptance).</summary>
    private static Command Update()
    {
        var rate = new Option<double>("--rate") { Description = "Connection attempts per second (1 to 500)", DefaultValueFactory = _ => 50 };
        var tech = new Option<string>("--tech") { Description = "Technology of the VNF (process or container)", DefaultValueFactory = _ => "process" };
        var updates = new Option<int>("--updates") { Description = "Rolling updates in a row under the same load (1 to 10)", DefaultValueFactory = _ => 3 };
        var max = new Option<int>("--max-seconds") { Description = "Upper bound of the load, in seconds (5 to 60)", DefaultValueFactory = _ => 60 };
        var output = Out();
        var cmd = new Command("update", "Connect to a 2-replica VNF's service address at a fixed rate while it rolls to new versions; counts failed attempts; writes update.json/md") { rate, tech, updates, max, output };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            if (pr.GetValue(rate) is < 1 or > 500)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--rate: {pr.GetValue(rate)} is outside 1 to 500 attempts per second");
            }
            if (pr.GetValue(updates) is < 1 or > 10)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--updates: {pr.GetValue(updates)} is outside 1 to 10");
            }
            if (pr.GetValue(max) is < 5 or > 60)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--max-seconds: {pr.GetValue(max)} is outside 5 to 60");
            }
            var dir = pr.GetValue(output)!.FullName;
            LightNfv.Host.Processes.ChildReaper.EnableSubreaper();
            using var daemon = Daemon(ctx, dir);
            var drill = new UpdateDrill(daemon, ctx.Host.Lab, CommandLine);
            drill.Progress += l => Console.Error.WriteLine(l);
            var result = await drill.RunAsync(pr.GetValue(tech)!, pr.GetValue(rate), pr.GetValue(updates), pr.GetValue(max), token).ConfigureAwait(false);
            var md = UpdateDrill.Markdown(result);
            DaemonBench.Write(dir, "update", result, md);
            Console.WriteLine(md);
            return result.Failures == 0 ? 0 : 8;
        }, ct));
        return cmd;
    }
}
