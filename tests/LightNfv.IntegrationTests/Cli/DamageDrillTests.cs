using System.Net;
using System.Text.RegularExpressions;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// The damage drills of issue 12, re-run through the `lightnfv` binary: a lab cut short by a kill, /run/netns gone
/// (as after a reboot), a store that is damaged, lost or on a full disk. Each must end in a clear one-line error or a
/// recovery, never a stack trace, a duplicate address or objects left on the host.
/// </summary>
/// <remarks>
/// The CLI gets a state directory of its own under the lab's (the fixture keeps its own store open on the lab's), with
/// the lab's namespace, cgroup parent and subnet, so the fixture's final sweep and leftover check still cover it.
/// </remarks>
public sealed partial class DamageDrillTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [GeneratedRegex(@"^(?<id>[0-9a-f]{12})  (?<address>\d+\.\d+\.\d+\.\d+)$")]
    private static partial Regex RunOutput();

    /// <summary>A line of a .NET stack trace.</summary>
    [GeneratedRegex(@"^\s+at \S", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private string CliState => Path.Combine(Lab.StateDirectory, "cli");

    private string StoreFile => Path.Combine(CliState, "lightnfv.db");

    private Dictionary<string, string> Env => new(Lab.CliEnvironment)
    {
        ["LIGHTNFV_STATE_DIR"] = CliState,
        ["LIGHTNFV_SOCKET"] = Path.Combine(CliState, "lightnfv.sock"),
    };

    private HostState.CommandResult Lightnfv(params string[] args) => Report(args, HostState.Run(Dotnet, [CliDll, .. args], Env, TimeSpan.FromSeconds(60)));

    /// <summary>The CLI in a private mount namespace whose /run is an empty tmpfs: records exist, /run/netns does not (a reboot).</summary>
    private HostState.CommandResult LightnfvWithoutRun(params string[] args) => Report(args, HostState.Run("unshare",
        ["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /run && exec \"$0\" \"$@\"", Dotnet, CliDll, .. args],
        Env, TimeSpan.FromSeconds(60)));

    private HostState.CommandResult Report(string[] args, HostState.CommandResult r)
    {
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private (string Id, IPAddress Address) Run(string name)
    {
        var file = Path.Combine(Lab.StateDirectory, $"{name}.yaml");
        File.WriteAllText(file, Descriptors.Iperf3(name));
        var r = Lightnfv("run", "-f", file);
        r.ExitCode.ShouldBe(0, r.ToString());
        var m = RunOutput().Match(r.Stdout.Trim());
        m.Success.ShouldBeTrue(r.ToString());
        return (m.Groups["id"].Value, IPAddress.Parse(m.Groups["address"].Value));
    }

    /// <summary>One line on stderr starting "error: ", no stack frame anywhere, a non-zero exit.</summary>
    private static void ShouldBeOneLineError(HostState.CommandResult r, string expected)
    {
        r.ExitCode.ShouldNotBe(0, r.ToString());
        StackFrame().IsMatch(r.Stdout + r.Stderr).ShouldBeFalse($"a stack trace was printed:\n{r}");
        r.Stderr.ShouldNotContain("Exception", Case.Sensitive, r.ToString());
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, r.ToString());
        lines[0].ShouldStartWith("error: ");
        lines[0].ShouldContain(expected, Case.Sensitive, r.ToString());
    }

    /// <summary>
    /// Whether the iperf3 VNF at <paramref name="address"/> answers a TCP SYN, probed from the lab as it is now (the
    /// fixture's own handle would still point at a lab that `down` removed and the CLI made again).
    /// </summary>
    private bool Answers(IPAddress address)
    {
        using var lab = LabNetwork.Open(Lab.LabName, AddressPool.Parse(Lab.Subnet));
        return TcpReadinessProbe.WaitForAnswer(lab, address, 5201, System.Diagnostics.Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(10)).Ready;
    }

    private void ShouldBeClean(params string[] ids)
    {
        NetNamespace.List(Lab.LabName).ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
        HostState.ProcessesMentioning(Lab.StateDirectory).ShouldBeEmpty();
        foreach (var id in ids)
        {
            Directory.Exists(Path.Combine(CliState, "instances", id)).ShouldBeFalse($"run directory of {id} left behind");
        }
    }

    [Fact]
    public void A_lab_killed_before_its_bridge_is_reset_by_down_and_finished_by_run()
    {
        RequireRoot();
        // The state a kill between making the lab's namespace and its bridge leaves.
        HostState.Run("ip", ["netns", "add", Lab.LabName]).ExitCode.ShouldBe(0);
        var down = Lightnfv("down");
        down.ExitCode.ShouldBe(0, down.ToString());
        NetNamespace.Exists(Lab.LabName).ShouldBeFalse("down should remove a lab without its bridge");

        // Cut short again; this time the next `run` finishes the lab instead of refusing it.
        HostState.Run("ip", ["netns", "add", Lab.LabName]).ExitCode.ShouldBe(0);
        var (_, address) = Run("first");
        HostState.LabLinks(Lab.LabName).ShouldContain("br0");
        Answers(address).ShouldBeTrue("the instance on the rebuilt lab should answer");

        // A pin file with no namespace mounted on it (a kill between creating the file and the bind mount).
        Lightnfv("down").ExitCode.ShouldBe(0);
        File.WriteAllText(NetNamespace.PathOf(Lab.LabName), "");
        var (id2, address2) = Run("second");
        Answers(address2).ShouldBeTrue("the instance on the remade lab should answer");

        var rm = Lightnfv("rm", "--all");
        rm.ExitCode.ShouldBe(0, rm.ToString());
        Lightnfv("down").ExitCode.ShouldBe(0);
        ShouldBeClean(id2);
    }

    [Fact]
    public void Rm_and_down_work_when_run_netns_is_gone()
    {
        RequireRoot();
        var (a, _) = Run("first");
        var (b, _) = Run("second");

        // Records say running; /run/netns does not exist in this view of the host.
        var rm = LightnfvWithoutRun("rm", a);
        rm.ExitCode.ShouldBe(0, rm.ToString());
        HostState.CgroupDirectories(Lab.CgroupPath(a)).ShouldBeEmpty();
        Directory.Exists(Path.Combine(CliState, "instances", a)).ShouldBeFalse("rm should not leave an empty run directory");

        var down = LightnfvWithoutRun("down");
        down.ExitCode.ShouldBe(0, down.ToString());
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
        Directory.Exists(Path.Combine(CliState, "instances", b)).ShouldBeFalse();

        // Back in the host's view, the pins of the namespaces are still there, with no record: orphans, which `ps`
        // shows and `down` removes.
        var ps = Lightnfv("ps");
        ps.ExitCode.ShouldBe(0, ps.ToString());
        ps.Stdout.ShouldContain(a);
        ps.Stdout.ShouldContain("orphaned");
        var hostDown = Lightnfv("down");
        hostDown.ExitCode.ShouldBe(0, hostDown.ToString());
        ShouldBeClean(a, b);
    }

    [Fact]
    public void A_damaged_store_is_one_line_for_ps_run_and_serve_and_down_resets_it()
    {
        RequireRoot();
        var descriptor = Path.Combine(Lab.StateDirectory, "vnf.yaml");
        File.WriteAllText(descriptor, Descriptors.Iperf3("vnf"));
        Run("seed");
        Lightnfv("rm", "--all").ExitCode.ShouldBe(0);
        var good = File.ReadAllBytes(StoreFile);

        foreach (var (what, damage, expected) in new (string, Action, string)[]
        {
            ("not SQLite", () => File.WriteAllText(StoreFile, string.Concat(Enumerable.Repeat("not a database. ", 500))), "is not a SQLite database"),
            ("truncated", () => File.WriteAllBytes(StoreFile, good[..8192]), "is damaged"),
            ("empty header", () => File.WriteAllBytes(StoreFile, good[..100]), "is damaged"),
        })
        {
            Output.WriteLine($"--- {what}");
            File.Delete(StoreFile + "-wal");
            File.Delete(StoreFile + "-shm");
            damage();
            foreach (var args in new[] { new[] { "ps" }, ["run", "-f", descriptor], ["rm", "--all"], ["serve"] })
            {
                var r = Lightnfv(args);
                ShouldBeOneLineError(r, $"store {StoreFile} {expected}");
                r.Stderr.ShouldContain("move it aside and run 'lightnfv down' to reset, or restore a backup");
            }
            // `down` resets: the damaged file is kept aside, a fresh store made.
            var down = Lightnfv("down");
            down.ExitCode.ShouldBe(0, down.ToString());
            down.Stderr.ShouldContain("moved aside to");
            Directory.EnumerateFiles(CliState, "lightnfv.db.damaged-*").ShouldNotBeEmpty();
            var ps = Lightnfv("ps");
            ps.ExitCode.ShouldBe(0, ps.ToString());
            foreach (var f in Directory.EnumerateFiles(CliState, "lightnfv.db.damaged-*"))
            {
                File.Delete(f);
            }
        }
        ShouldBeClean();
    }

    [Fact]
    public void A_store_lost_while_an_instance_runs_never_hands_out_its_address()
    {
        RequireRoot();
        var (survivor, taken) = Run("survivor");
        foreach (var f in new[] { StoreFile, StoreFile + "-wal", StoreFile + "-shm" })
        {
            File.Delete(f);
        }

        // The new store knows nothing; the host still has the instance, which `ps` lists as orphaned with its address.
        var ps = Lightnfv("ps");
        ps.ExitCode.ShouldBe(0, ps.ToString());
        var row = ps.Stdout.Split('\n').SingleOrDefault(l => l.StartsWith(survivor, StringComparison.Ordinal));
        row.ShouldNotBeNull(ps.ToString());
        row.ShouldContain("orphaned");
        row.ShouldContain(taken.ToString());

        // Descriptor asks for no address: the lowest free one must skip the survivor's.
        var (next, address) = Run("next");
        address.ShouldNotBe(taken);
        next.ShouldNotBe(survivor);
        Lab.TcpConnect(taken, 5201).ShouldBeNull("the survivor should still answer at its own address");
        Lab.TcpConnect(address, 5201).ShouldBeNull("the new instance should answer at its address");

        // Asking for the survivor's address explicitly is refused.
        var pinned = Path.Combine(Lab.StateDirectory, "pinned.yaml");
        File.WriteAllText(pinned, Descriptors.Iperf3("pinned", taken));
        var conflict = Lightnfv("run", "-f", pinned);
        conflict.ExitCode.ShouldBe(4, conflict.ToString());
        conflict.Stderr.ShouldContain("already used");

        // `rm <id>` removes the orphan by its id; its address is free again.
        var rm = Lightnfv("rm", survivor);
        rm.ExitCode.ShouldBe(0, rm.ToString());
        NetNamespace.Exists(Lab.InstanceNamespace(survivor)).ShouldBeFalse();
        HostState.CgroupDirectories(Lab.CgroupPath(survivor)).ShouldBeEmpty();
        var (_, reused) = Run("reuse");
        reused.ShouldBe(taken);

        Lightnfv("rm", "--all").ExitCode.ShouldBe(0);
        Lightnfv("down").ExitCode.ShouldBe(0);
        ShouldBeClean(survivor, next);
    }

    [Fact]
    public void A_full_disk_is_a_clear_error_and_rm_and_down_still_clean_the_host()
    {
        RequireRoot();
        // The store lives on a 1 MiB tmpfs (SQLite follows the symlink). The run directories stay on the host's file
        // system: VNFs start from a mount namespace copied before this tmpfs existed, so they could not see one there.
        var small = Path.Combine(Lab.StateDirectory, "small");
        Directory.CreateDirectory(small);
        Directory.CreateDirectory(CliState);
        HostState.Run("mount", ["-t", "tmpfs", "-o", "size=1m", "lnfv-test-full", small]).ExitCode.ShouldBe(0);
        try
        {
            File.CreateSymbolicLink(StoreFile, Path.Combine(small, "lightnfv.db"));
            var (a, _) = Run("first");
            var fill = HostState.Run("dd", ["if=/dev/zero", $"of={Path.Combine(small, "fill")}", "bs=4k"]);
            fill.ExitCode.ShouldNotBe(0, "dd should stop at a full file system");

            var second = Path.Combine(Lab.StateDirectory, "second.yaml");
            File.WriteAllText(second, Descriptors.Iperf3("second"));
            var run = Lightnfv("run", "-f", second);
            ShouldBeOneLineError(run, $"disk full: {Path.Combine(small, "lightnfv.db")}; free space and retry");
            var ps = Lightnfv("ps");
            StackFrame().IsMatch(ps.Stdout + ps.Stderr).ShouldBeFalse(ps.ToString());

            // The host objects go although the record cannot be touched; the error says so.
            var rm = Lightnfv("rm", "--all");
            rm.ExitCode.ShouldNotBe(0, rm.ToString());
            StackFrame().IsMatch(rm.Stdout + rm.Stderr).ShouldBeFalse(rm.ToString());
            rm.Stderr.ShouldContain("disk full");
            NetNamespace.Exists(Lab.InstanceNamespace(a)).ShouldBeFalse("rm should remove the netns on a full disk");
            HostState.CgroupDirectories(Lab.CgroupPath(a)).ShouldBeEmpty();

            var down = Lightnfv("down");
            down.ExitCode.ShouldNotBe(0, down.ToString());
            down.Stderr.ShouldContain("disk full");
            StackFrame().IsMatch(down.Stdout + down.Stderr).ShouldBeFalse(down.ToString());
            ShouldBeClean(a);

            // Space back: the records are cleared and everything is as before.
            File.Delete(Path.Combine(small, "fill"));
            Lightnfv("rm", "--all").ExitCode.ShouldBe(0);
            Lightnfv("down").ExitCode.ShouldBe(0);
            var after = Lightnfv("ps", "--json");
            after.ExitCode.ShouldBe(0, after.ToString());
            after.Stdout.Trim().ShouldBe("[]");
        }
        finally
        {
            HostState.Run("umount", ["-l", small]);
        }
    }
}
