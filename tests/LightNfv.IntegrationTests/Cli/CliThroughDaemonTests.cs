using System.Text.Json;
using System.Text.RegularExpressions;
using LightNfv.Core.Descriptors;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// Every instance command prints the same embedded and through a running daemon (same table columns, same JSON, same
/// exit codes and error lines); only what differs by nature (ids, addresses, pids, times, counters) is masked.
/// </summary>
public sealed partial class CliThroughDaemonTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [GeneratedRegex(@"^(?<id>[0-9a-f]{12})  (?<address>\d+\.\d+\.\d+\.\d+)$")]
    private static partial Regex RunOutput();

    [GeneratedRegex(@"\d+(s|m|h|d) ago")]
    private static partial Regex Ago();

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var r = HostState.Run(dotnet, [CliDll, .. args], Lab.CliEnvironment, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    /// <summary>One pass over every instance command; what each printed, masked.</summary>
    private List<string> Session(string example)
    {
        var seen = new List<string>();
        var run = Lightnfv("run", "-f", example);
        run.ExitCode.ShouldBe(0, run.ToString());
        var m = RunOutput().Match(run.Stdout.Trim());
        m.Success.ShouldBeTrue(run.Stdout);
        var id = m.Groups["id"].Value;
        var address = m.Groups["address"].Value;
        string Mask(string s) => Ago().Replace(s.Replace(id, "<id>", StringComparison.Ordinal).Replace(address, "<address>", StringComparison.Ordinal), "<ago>");
        void Note(string what, HostState.CommandResult r) => seen.Add($"{what}: exit {r.ExitCode}\n{Mask(r.Stdout)}\n{Mask(r.Stderr)}");

        Note("run", run);
        Lab.TcpConnect(System.Net.IPAddress.Parse(address), 5201).ShouldBeNull();
        // What the VNF writes shows while it runs, not only after it stops (iperf3 block-buffers stdout into a file).
        Poll.Read(() => Lightnfv("logs", id).Stdout, t => t.Contains("Server listening", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
            .ShouldContain("Server listening");

        var psJson = Lightnfv("ps", "--json");
        using (var doc = JsonDocument.Parse(psJson.Stdout))
        {
            var only = doc.RootElement.EnumerateArray().Single();
            only.GetProperty("state").GetString().ShouldBe("running");
            only.GetProperty("pid").GetInt32().ShouldBeGreaterThan(0);
        }
        Note("ps --json", psJson with { Stdout = MaskJson(psJson.Stdout, "pid", "createdAt", "updatedAt") });
        Note("ps -o name", Lightnfv("ps", "-o", "name"));
        var yaml = Lightnfv("ps", "-o", "yaml");
        yaml.Stdout.ShouldContain("  technology: process");
        yaml.Stdout.ShouldContain($"- id: {id}");
        var ps = Lightnfv("ps");
        // Column widths follow the values (a pid's digits): compared with the padding collapsed.
        Note("ps", ps with { Stdout = Regex.Replace(Regex.Replace(ps.Stdout, " +", " "), @" \d+ (?=\d+(s|m|h|d) ago)", " <pid> ") });

        var inspect = Lightnfv("inspect", id[..6]);
        inspect.ExitCode.ShouldBe(0, inspect.ToString());
        using (var doc = JsonDocument.Parse(inspect.Stdout))
        {
            // Counters and the host's times change from one read to the next: the shape and the record are compared.
            Note("inspect", inspect with
            {
                Stdout = string.Join(",", doc.RootElement.EnumerateObject().Select(p => p.Name))
                + doc.RootElement.GetProperty("state").GetString() + doc.RootElement.GetProperty("host").GetProperty("state").GetString()
            });
        }
        Note("logs", Lightnfv("logs", "iperf3", "--tail", "1"));
        var top = Lightnfv("top");
        Note("top", top with { Stdout = string.Join('\n', top.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "")) });

        Note("run again", Lightnfv("run", "-f", example));
        Note("unknown", Lightnfv("inspect", "no-such-instance"));
        Note("bad grace", Lightnfv("stop", "iperf3", "--time", "-1"));
        Note("stop", Lightnfv("stop", "iperf3", "--time", "1"));
        Note("start", Lightnfv("start", "iperf3"));
        Note("wait running", Lightnfv("wait", "iperf3", "--for=state=running", "--timeout", "30s"));
        // exec runs inside the instance's namespaces (its address is there, not in ours) and passes the exit code on.
        var ip = Lightnfv("exec", id, "--", "ip", "-4", "-o", "addr");
        ip.ExitCode.ShouldBe(0, ip.ToString());
        ip.Stdout.ShouldContain(address + "/");
        Lightnfv("exec", id, "--", "sh", "-c", "exit 3").ExitCode.ShouldBe(3);
        Note("restart", Lightnfv("restart", "iperf3", "-t", "1"));
        Note("wait running again", Lightnfv("wait", "iperf3", "--for=state=running", "--timeout", "30s"));
        var resize = Lightnfv("resize", "iperf3", "--memory", "96", "--bandwidth", "50", "--cpuset", "0");
        resize.ExitCode.ShouldBe(0, resize.ToString());
        Note("resize", resize);
        Note("resize nothing", Lightnfv("resize", "iperf3"));
        Note("resize out of range", Lightnfv("resize", "iperf3", "--vcpus", "100"));
        Lab.TcpConnect(System.Net.IPAddress.Parse(address), 5201).ShouldBeNull();
        Note("wait timeout", Lightnfv("wait", "iperf3", "--for=state=stopped", "--timeout", "300ms"));
        Note("wait bad", Lightnfv("wait", "iperf3", "--for=sleeping"));
        Note("rm", Lightnfv("rm", "iperf3"));
        Note("rm again", Lightnfv("rm", "iperf3"));
        Note("wait delete", Lightnfv("wait", "iperf3", "--for=delete", "--timeout", "5s"));
        Note("rm --all", Lightnfv("rm", "--all"));
        Note("ps empty", Lightnfv("ps", "--json"));
        return seen;
    }

    private static string MaskJson(string json, params string[] names)
    {
        var nodes = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsArray();
        foreach (var n in nodes)
        {
            foreach (var name in names)
            {
                if (n!.AsObject().ContainsKey(name))
                {
                    n[name] = "<masked>";
                }
            }
        }
        return nodes.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    [Fact]
    public async Task Every_instance_command_prints_the_same_embedded_and_through_the_daemon()
    {
        RequireAvailable(Technology.Process);
        var example = Path.Combine(RepoPaths.Examples, "iperf3.yaml");
        var embedded = Session(example);

        using var daemon = DaemonApi.StartDaemon(Lab);
        var through = Session(example);
        through.Count.ShouldBe(embedded.Count);
        for (var i = 0; i < embedded.Count; i++)
        {
            through[i].ShouldBe(embedded[i]);
        }
        // The daemon made and removed that instance: its own record of it is gone too.
        using (var http = LightNfv.Host.UnixSockets.UnixHttp.Create(daemon.Socket))
        {
            (await DaemonApi.Send(http, HttpMethod.Get, "api/v1/instances")).GetArrayLength().ShouldBe(0);
        }

        // down takes the lab away from under the daemon: refused, saying how, until --with-daemon stops it first.
        var refused = Lightnfv("down");
        refused.ExitCode.ShouldBe(4, refused.ToString());
        refused.Stderr.ShouldContain("lightnfv down --with-daemon");
        var down = Lightnfv("down", "--with-daemon");
        down.ExitCode.ShouldBe(0, down.ToString());
        down.Stderr.ShouldContain("stopped the daemon");
        daemon.Pid.ShouldBeNull("the daemon should have exited on SIGTERM");
        LightNfv.Host.UnixSockets.UnixHttp.Answers(daemon.Socket).ShouldBeFalse();
    }
}
