using System.CommandLine;
using LightNfv.Bench.Experiments;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

public static partial class BenchDaemonCommands
{
    /// <summary>`bench quarantine`: time from the call to frozen and cut, with the VNF kept serving (issue 17's acceptance).</summary>
    private static Command Quarantine()
    {
        var runs = new Option<int>("--runs") { Description = "Quarantines, one replica each (1 to 100)", DefaultValueFactory = _ => 20 };
        var tech = new Option<string>("--tech") { Description = "Technology of the VNF (process or container)", DefaultValueFactory = _ => "process" };
        var output = Out();
        var cmd = new Command("quarantine", "Quarantine a replica of a 2-replica VNF under client traffic, N times: time from the call to frozen and cut, " +
            "replacement answering, client answers; writes quarantine.json/md") { runs, tech, output };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            if (pr.GetValue(runs) is < 1 or > 100)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--runs: {pr.GetValue(runs)} is outside 1 to 100");
            }
            var dir = pr.GetValue(output)!.FullName;
            LightNfv.Host.Processes.ChildReaper.EnableSubreaper();
            using var daemon = Daemon(ctx, dir);
            var bench = new QuarantineBench(daemon, ctx.Host.Lab, CommandLine);
            bench.Progress += l => Console.Error.WriteLine(l);
            var result = await bench.RunAsync(pr.GetValue(tech)!, pr.GetValue(runs), token).ConfigureAwait(false);
            var md = QuarantineBench.Markdown(result);
            DaemonBench.Write(dir, "quarantine", result, md);
            Console.WriteLine(md);
            return result.QuarantinedAnswered == 0 && result.ClientFailures == 0 ? 0 : 8;
        }, ct));
        return cmd;
    }
}
