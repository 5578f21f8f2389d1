using System.Globalization;
using System.Net;
using System.Text.Json;
using LightNfv.Backends.Process;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Process;

/// <summary>
/// Least privilege of a process VNF on the real kernel (issue 17 items 3 and 7): its own uid, no capability it did not
/// declare, no_new_privs, seccomp, and the host's filesystem read-only but for its own directories.
/// </summary>
public sealed class ProcessPrivilegesTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Iperf3_runs_as_its_own_uid_without_capabilities_under_no_new_privs_and_seccomp_and_still_serves()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3("confined"));
        var pid = Lab.Instances.Inspect(record.Id).Observation!.Pid!.Value;
        var status = Status(pid);
        Output.WriteLine(string.Join('\n', status.Select(kv => $"{kv.Key}: {kv.Value}")));

        var uid = ProcessBackend.UidOf(record.Id).ToString(CultureInfo.InvariantCulture);
        status["Uid"].Split('\t').ShouldAllBe(u => u == uid, "real, effective, saved and filesystem uid");
        status["Gid"].Split('\t').ShouldAllBe(g => g == uid);
        status["Groups"].ShouldBeEmpty("no supplementary groups (not root's)");
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            status[set].ShouldBe("0000000000000000", set);
        }
        status["NoNewPrivs"].ShouldBe("1");
        status["Seccomp"].ShouldBe("2", "2 is a filter");

        // Still a working VNF: TCP from the lab, then real iperf3 traffic.
        var address = IPAddress.Parse(record.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        HostState.CommandResult? run = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // The server may still be resetting after the bare connect above ("the server is busy").
            run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", address.ToString(), "-t", "1", "-J"],
                timeout: TimeSpan.FromSeconds(30));
            if (run.ExitCode == 0 && !JsonDocument.Parse(run.Stdout).RootElement.TryGetProperty("error", out _))
            {
                break;
            }
            Thread.Sleep(500);
        }
        run!.ExitCode.ShouldBe(0, run.ToString());
        var bps = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        Output.WriteLine($"iperf3 lab -> {address}: {bps / 1e9:0.00} Gb/s");
        bps.ShouldBeGreaterThan(0);

        await RemoveAndCheckGone(record.Id);
    }

    [Fact]
    public async Task Vnf_cannot_write_the_host_filesystem_but_writes_its_tmp_and_its_state_directory()
    {
        RequireRoot();
        // World-writable, so only the read-only mount can stop the write (not the uid).
        var open = Directory.CreateDirectory($"/var/tmp/lnfv-privs-probe-{Guid.NewGuid():N}").FullName;
        HostState.Run("chmod", ["1777", open]).ExitCode.ShouldBe(0);
        try
        {
            var script = $"touch {open}/escaped; echo host:$?; touch /etc/lnfv-escaped; echo etc:$?; " +
                "echo x > /tmp/t && echo tmp:ok; echo kept > $HOME/state.txt && echo state:ok; echo done; sleep 60";
            var record = await Lab.RunAsync(Descriptors.Command("writer", ["sh", "-c", script]));
            var text = Poll.Read(() => ReadLog(record.Id), t => t.Contains("done", StringComparison.Ordinal), Deadline);
            Output.WriteLine(text);

            text.ShouldContain("Read-only file system");
            text.ShouldContain("host:1");
            text.ShouldContain("etc:1");
            File.Exists(Path.Combine(open, "escaped")).ShouldBeFalse("the VNF wrote into the host's filesystem");
            File.Exists("/etc/lnfv-escaped").ShouldBeFalse();
            text.ShouldContain("tmp:ok");
            text.ShouldContain("state:ok");
            // Its state directory is on the host, in its run directory, owned by its uid.
            var state = Path.Combine(ProcessBackend.StateDirectory(Lab.RunDirectory(record.Id)), "state.txt");
            File.ReadAllText(state).ShouldBe("kept\n");
            Stat(state).ShouldStartWith(ProcessBackend.UidOf(record.Id).ToString(CultureInfo.InvariantCulture) + " ");

            await RemoveAndCheckGone(record.Id);
        }
        finally
        {
            Directory.Delete(open, recursive: true);
        }
    }

    [Fact]
    public async Task Vnf_cannot_gain_a_capability_to_make_a_namespace_mount_or_set_the_clock()
    {
        RequireRoot();
        var script = "unshare -n true; echo unshare:$?; date -s @86400 >/dev/null; echo date:$?; " +
            "mount -t tmpfs none /tmp; echo mount:$?; ip link add lnfvx type veth peer name lnfvy; echo link:$?; echo done; sleep 60";
        var record = await Lab.RunAsync(Descriptors.Command("escalate", ["sh", "-c", script]));
        var text = Poll.Read(() => ReadLog(record.Id), t => t.Contains("done", StringComparison.Ordinal), Deadline);
        Output.WriteLine(text);

        text.ShouldContain("unshare:1");
        text.ShouldContain("date:1");
        text.ShouldContain("mount:");
        text.ShouldNotContain("mount:0");
        text.ShouldContain("link:2");
        DateTime.UtcNow.Year.ShouldBeGreaterThan(2000, "the host's clock was changed");

        await RemoveAndCheckGone(record.Id);
    }

    [Fact]
    public async Task Declared_capability_is_kept_across_exec_and_no_other()
    {
        RequireRoot();
        // NET_ADMIN over its own network namespace: an address on its loopback (nothing is sent anywhere).
        var script = "ip addr add 10.255.0.1/32 dev lo && echo netadmin:ok; grep CapEff /proc/self/status; " +
            "date -s @86400 >/dev/null; echo date:$?; echo done; sleep 60";
        var record = await Lab.RunAsync(Descriptors.Command("netadmin", ["sh", "-c", script], caps: "NET_ADMIN"));
        var text = Poll.Read(() => ReadLog(record.Id), t => t.Contains("done", StringComparison.Ordinal), Deadline);
        Output.WriteLine(text);

        text.ShouldContain("netadmin:ok");
        text.ShouldContain("CapEff:\t0000000000001000");
        text.ShouldContain("date:1");

        await RemoveAndCheckGone(record.Id);
    }

    private string ReadLog(string id) => File.Exists(Lab.ConsoleLog(id)) ? File.ReadAllText(Lab.ConsoleLog(id)) : "";

    private async Task RemoveAndCheckGone(string id)
    {
        var runDir = Lab.RunDirectory(id);
        var ns = Lab.InstanceNamespace(id);
        await Lab.Instances.RemoveAsync(id);
        Directory.Exists(runDir).ShouldBeFalse();
        NetNamespace.Exists(ns).ShouldBeFalse();
        HostState.CgroupDirectories(Lab.CgroupPath(id)).ShouldBeEmpty();
    }

    private static Dictionary<string, string> Status(int pid) => File.ReadAllLines($"/proc/{pid}/status")
        .Select(l => l.Split(':', 2))
        .Where(p => p.Length == 2)
        .ToDictionary(p => p[0], p => p[1].Trim());

    /// <summary>"uid gid" of a file.</summary>
    private static string Stat(string path) => HostState.Run("stat", ["-c", "%u %g", path]).Stdout.Trim();
}
