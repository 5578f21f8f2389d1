using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// kubectl's read and apply verbs: `get -o json` prints the same bytes through the daemon and embedded (the same store
/// read the same moment), `apply` is idempotent, `--tenant` scopes them, and bad input is one line with exit 2.
/// </summary>
public sealed class GetApplyTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private HostState.CommandResult Lightnfv(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var dotnet = Dotnet;
        var environment = Environment(env);
        var r = HostState.Run(dotnet, [CliDll, .. args], environment, TimeSpan.FromSeconds(120));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private HostState.CommandResult Lightnfv(params string[] args) => Lightnfv(null, args);

    private Dictionary<string, string> Environment(IReadOnlyDictionary<string, string>? extra = null) =>
        Lab.CliEnvironment.Concat(extra ?? new Dictionary<string, string>())
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    /// <summary>The CLI as if no daemon ran: pointed at a socket nobody listens on, over the same store.</summary>
    private HostState.CommandResult Embedded(params string[] args) =>
        Lightnfv(new Dictionary<string, string> { ["LIGHTNFV_SOCKET"] = Path.Combine(Lab.StateDirectory, "nobody.sock") }, args);

    private string WriteDescriptor(string name, string yaml)
    {
        var path = Path.Combine(Lab.StateDirectory, name + ".yaml");
        Directory.CreateDirectory(Lab.StateDirectory);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Get_json_is_the_same_with_and_without_a_daemon_and_apply_is_idempotent()
    {
        RequireAvailable(Technology.Process);
        var echo = WriteDescriptor("echo", Descriptors.Iperf3("echo"));
        using var daemon = DaemonApi.StartDaemon(Lab);

        var created = Lightnfv("apply", "-f", echo, "--wait");
        created.ExitCode.ShouldBe(0, created.ToString());
        created.Stdout.Trim().ShouldBe("vnf/echo created");
        Lightnfv("run", "-f", WriteDescriptor("solo", Descriptors.Iperf3("solo"))).ExitCode.ShouldBe(0);

        var operationsBefore = Count(Lightnfv("get", "operations", "-o", "json"));
        var again = Lightnfv("apply", "-f", echo);
        again.ExitCode.ShouldBe(0, again.ToString());
        again.Stdout.Trim().ShouldBe("vnf/echo unchanged");
        Count(Lightnfv("get", "operations", "-o", "json")).ShouldBe(operationsBefore, "an unchanged apply records no operation");
        var versions = Lightnfv("get", "descriptor", "echo", "-o", "json");
        using (var d = JsonDocument.Parse(versions.Stdout))
        {
            d.RootElement.GetProperty("kind").GetString().ShouldBe("Descriptor");
            d.RootElement.GetProperty("version").GetInt32().ShouldBe(1, "an unchanged apply stores no new version");
        }
        // Through stdin too, as kubectl apply -f -.
        var piped = HostState.Run("sh", ["-c", $"exec \"$0\" \"$1\" apply -f - < \"$2\"", Dotnet, CliDll, echo], Environment(), TimeSpan.FromSeconds(60));
        piped.Stdout.Trim().ShouldBe("vnf/echo unchanged", piped.ToString());

        foreach (var resource in new[] { "instances", "vnfs", "descriptors", "operations", "alerts" })
        {
            // The daemon's loops may change the state between two reads: the daemon's answer must be stable across the
            // embedded read for the comparison to mean anything, so a moving state is read again.
            string through = "", embedded = "";
            for (var attempt = 0; attempt < 5; attempt++)
            {
                through = Lightnfv("get", resource, "-o", "json").Stdout;
                embedded = Embedded("get", resource, "-o", "json").Stdout;
                if (through == Lightnfv("get", resource, "-o", "json").Stdout)
                {
                    break;
                }
            }
            embedded.ShouldBe(through, $"get {resource} -o json differs without the daemon");
            using var doc = JsonDocument.Parse(through);
            doc.RootElement.GetProperty("apiVersion").GetString().ShouldBe("lightnfv/v1");
            doc.RootElement.GetProperty("kind").GetString().ShouldEndWith("List");
        }
        using (var instances = JsonDocument.Parse(Lightnfv("get", "instances", "-o", "json").Stdout))
        {
            instances.RootElement.GetProperty("kind").GetString().ShouldBe("InstanceList");
            var names = instances.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).Order().ToList();
            names.Count.ShouldBe(2);
            names[0].ShouldStartWith("echo-");
            names[1].ShouldBe("solo");
        }
        Embedded("get", "vnfs", "-o", "yaml").Stdout.ShouldBe(Lightnfv("get", "vnfs", "-o", "yaml").Stdout);
        Lightnfv("get", "vnf", "-o", "name").Stdout.Trim().ShouldBe("vnf/echo");
        Lightnfv("get", "vnf/echo", "-o", "name").Stdout.Trim().ShouldBe("vnf/echo");

        var table = Lightnfv("get", "vnfs");
        table.Stdout.ShouldStartWith("NAME");
        table.Stdout.ShouldContain("echo");
        var described = Lightnfv("describe", "vnf", "echo");
        described.ExitCode.ShouldBe(0, described.ToString());
        foreach (var section in new[] { "Name:", "Replicas:", "Limits:", "Liveness:", "Operations:", "Events:" })
        {
            described.Stdout.ShouldContain(section);
        }
        var solo = Lightnfv("describe", "instance", "solo", "-o", "json");
        using (var doc = JsonDocument.Parse(solo.Stdout))
        {
            doc.RootElement.GetProperty("kind").GetString().ShouldBe("InstanceDescription");
            doc.RootElement.GetProperty("instance").GetProperty("name").GetString().ShouldBe("solo");
        }
        Lightnfv("describe", "instance", "solo").Stdout.ShouldContain("Address:");
        using (var doc = JsonDocument.Parse(Lightnfv("inspect", "solo", "-o", "json").Stdout))
        {
            doc.RootElement.GetProperty("kind").GetString().ShouldBe("InstanceDetail");
        }
        Lightnfv("stats").ExitCode.ShouldBe(0);

        // A changed descriptor: a new version, rolled out.
        File.WriteAllText(echo, Descriptors.Iperf3("echo", memoryMiB: 96));
        var configured = Lightnfv("apply", "-f", echo, "--wait");
        configured.ExitCode.ShouldBe(0, configured.ToString());
        configured.Stdout.Trim().ShouldBe("vnf/echo configured");
        using (var d = JsonDocument.Parse(Lightnfv("get", "vnf", "echo", "-o", "json").Stdout))
        {
            d.RootElement.GetProperty("version").GetInt32().ShouldBe(2);
        }

        // --tenant scopes: the same name is another VNF in another tenant; lists show only the tenant's (-A all).
        var team = new Dictionary<string, string> { ["LIGHTNFV_TENANT"] = "team-a" };
        Count(Lightnfv(team, "get", "vnfs", "-o", "json")).ShouldBe(0);
        var teamEcho = Lightnfv(team, "apply", "-f", WriteDescriptor("echo-a", Descriptors.Iperf3("echo")), "--wait");
        teamEcho.Stdout.Trim().ShouldBe("vnf/echo created", teamEcho.ToString());
        using (var d = JsonDocument.Parse(Lightnfv("--tenant", "team-a", "get", "vnfs", "-o", "json").Stdout))
        {
            d.RootElement.GetProperty("items").EnumerateArray().Single().GetProperty("tenant").GetString().ShouldBe("team-a");
        }
        Count(Lightnfv("get", "vnfs", "-A", "-o", "json")).ShouldBe(2);
        Lightnfv("get", "vnfs", "-A").Stdout.ShouldStartWith("TENANT");
        Lightnfv(team, "apply", "-f", WriteDescriptor("echo-a", Descriptors.Iperf3("echo"))).Stdout.Trim().ShouldBe("vnf/echo unchanged");

        Lightnfv(team, "vnf", "terminate", "echo", "--wait").ExitCode.ShouldBe(0);
        Lightnfv("vnf", "terminate", "echo", "--wait").ExitCode.ShouldBe(0);
        Lightnfv("rm", "solo").ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_2()
    {
        RequireRoot();
        var bad = WriteDescriptor("bad", Descriptors.Iperf3("echo", memoryMiB: 64).Replace("memoryMiB: 64", "memoryMiB: lots", StringComparison.Ordinal));
        var r = Lightnfv("apply", "-f", bad);
        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.Trim().Split('\n').Length.ShouldBe(1);
        r.Stderr.ShouldContain("spec.resources.memoryMiB");

        var elsewhere = WriteDescriptor("bench", Descriptors.Iperf3("echo").Replace("  name: echo", "  name: echo\n  tenant: bench", StringComparison.Ordinal));
        r = Lightnfv("--tenant", "team-a", "apply", "-f", elsewhere);
        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("metadata.tenant");
        r.Stderr.ShouldContain("--tenant bench");

        r = Lightnfv("get", "widgets");
        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("instances, vnfs, descriptors, operations, alerts");
        Lightnfv("describe", "descriptor", "x").ExitCode.ShouldBe(2);
        r = Lightnfv("get", "pods");
        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("'lightnfv get instances'");
        r = Lightnfv("--tenant", "Team_A", "get", "vnfs");
        r.ExitCode.ShouldBe(2, r.ToString());
        r.Stderr.ShouldContain("--tenant");

        // No daemon: apply says how to start one (exit 6); reads work embedded.
        r = Lightnfv("apply", "-f", WriteDescriptor("echo", Descriptors.Iperf3("echo")));
        r.ExitCode.ShouldBe(6, r.ToString());
        r.Stderr.ShouldContain("lightnfv serve");
        Count(Lightnfv("get", "instances", "-o", "json")).ShouldBe(0);
        r = Lightnfv("get", "instance", "nope");
        r.ExitCode.ShouldBe(3, r.ToString());
        r.Stderr.ShouldContain("lightnfv get instances");

        // The tenant from the config file when neither the flag nor LIGHTNFV_TENANT says.
        var config = Path.Combine(Lab.StateDirectory, "config");
        Directory.CreateDirectory(Path.Combine(config, "lightnfv"));
        File.WriteAllText(Path.Combine(config, "lightnfv", "config.yaml"), "tenant: team-b\n");
        r = Lightnfv(new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = config }, "get", "instance", "nope");
        r.Stderr.ShouldContain("in tenant 'team-b'");
    }

    private static string Dotnet => System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int Count(HostState.CommandResult r)
    {
        r.ExitCode.ShouldBe(0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.GetProperty("items").GetArrayLength();
    }
}
