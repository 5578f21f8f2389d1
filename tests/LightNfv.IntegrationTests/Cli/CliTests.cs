using System.Text.Json;
using System.Text.RegularExpressions;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>The `lightnfv` binary end to end, pointed at the test's lab through LIGHTNFV_* variables.</summary>
public sealed partial class CliTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [GeneratedRegex(@"^(?<id>[0-9a-f]{12})  (?<address>\d+\.\d+\.\d+\.\d+)$")]
    private static partial Regex RunOutput();

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var r = HostState.Run(dotnet, [CliDll, .. args], Lab.CliEnvironment, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    [Fact]
    public void Run_ps_inspect_conflict_rm_down()
    {
        RequireRoot();
        var example = Path.Combine(RepoPaths.Examples, "iperf3.yaml");
        File.Exists(example).ShouldBeTrue(example);

        // run
        var run = Lightnfv("run", "-f", example);
        run.ExitCode.ShouldBe(0, run.ToString());
        var m = RunOutput().Match(run.Stdout.Trim());
        m.Success.ShouldBeTrue($"`run` should print '<12-hex id>  <address>', printed '{run.Stdout.Trim()}'");
        var id = m.Groups["id"].Value;
        var address = m.Groups["address"].Value;
        address.ShouldStartWith($"10.{Lab.SubnetOctet}.");
        NetNamespace.Exists(Lab.InstanceNamespace(id)).ShouldBeTrue();

        // ps
        var ps = Lightnfv("ps");
        ps.ExitCode.ShouldBe(0, ps.ToString());
        ps.Stdout.ShouldContain(id);
        ps.Stdout.ShouldContain("iperf3");
        ps.Stdout.ShouldContain(address);

        // ps --json
        var psJson = Lightnfv("ps", "--json");
        psJson.ExitCode.ShouldBe(0, psJson.ToString());
        using (var doc = JsonDocument.Parse(psJson.Stdout))
        {
            doc.RootElement.ValueKind.ShouldBe(JsonValueKind.Array);
            doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ShouldBe([id]);
        }

        // inspect by name
        var inspect = Lightnfv("inspect", "iperf3");
        inspect.ExitCode.ShouldBe(0, inspect.ToString());
        inspect.Stdout.ShouldContain("\"state\": \"running\"");
        using (var doc = JsonDocument.Parse(inspect.Stdout))
        {
            doc.RootElement.GetProperty("id").GetString().ShouldBe(id);
            doc.RootElement.GetProperty("state").GetString().ShouldBe("running");
            doc.RootElement.GetProperty("address").GetString().ShouldBe(address);
            // The shared facts typed, the backend's own record as an object.
            doc.RootElement.GetProperty("facts").GetProperty("address").GetString().ShouldBe(address);
            doc.RootElement.GetProperty("facts").GetProperty("process").GetString()!.ShouldMatch(@"^\d+@\d+$");
            doc.RootElement.GetProperty("backend").GetProperty("supervisor").GetString()!.ShouldMatch(@"^\d+@\d+$");
        }
        Lab.TcpConnect(System.Net.IPAddress.Parse(address), 5201).ShouldBeNull("the instance the CLI started should answer TCP");

        // a malformed descriptor
        var bad = Path.Combine(Lab.StateDirectory, "bad.yaml");
        File.WriteAllText(bad, File.ReadAllText(example).Replace("memoryMiB: 64", "memoryMiB: lots", StringComparison.Ordinal));
        File.ReadAllText(bad).ShouldContain("memoryMiB: lots");
        var invalid = Lightnfv("run", "-f", bad);
        invalid.ExitCode.ShouldBe(2, invalid.ToString());
        invalid.Stderr.ShouldContain("spec.resources.memoryMiB");

        // the same file again: the name is taken
        var again = Lightnfv("run", "-f", example);
        again.ExitCode.ShouldBe(4, again.ToString());
        again.Stderr.ShouldContain("already exists");

        // rm --all, down
        var rm = Lightnfv("rm", "--all");
        rm.ExitCode.ShouldBe(0, rm.ToString());
        var down = Lightnfv("down");
        down.ExitCode.ShouldBe(0, down.ToString());

        var after = Lightnfv("ps", "--json");
        after.ExitCode.ShouldBe(0, after.ToString());
        using (var doc = JsonDocument.Parse(after.Stdout))
        {
            doc.RootElement.GetArrayLength().ShouldBe(0);
        }
        NetNamespace.List(Lab.LabName).ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
        HostState.ProcessesMentioning(Lab.StateDirectory).ShouldBeEmpty();
        // The fixture's Dispose checks once more (and fails the test if it has to clean anything).
        Lab.Leftovers().ShouldBeEmpty();
    }

    [Fact]
    public void Unknown_instance_exits_3()
    {
        RequireRoot();
        var r = Lightnfv("inspect", "no-such-instance");
        r.ExitCode.ShouldBe(3, r.ToString());
        r.Stderr.ShouldContain("no-such-instance");
    }
}
