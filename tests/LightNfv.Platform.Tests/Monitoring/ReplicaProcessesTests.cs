using System.Diagnostics;
using LightNfv.Platform.Monitoring;

namespace LightNfv.Platform.Tests.Monitoring;

/// <summary>The host's view of a replica's processes: /proc stat states (fake and real) and the cgroup freeze files.</summary>
public sealed class ReplicaProcessesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lnfvs-procs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void FakeProc(int pid, string stat)
    {
        Directory.CreateDirectory(Path.Combine(_dir, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.WriteAllText(Path.Combine(_dir, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat"), stat);
    }

    [Theory]
    [InlineData("42 (iperf3) T 1 42 42 0 -1", 'T', "iperf3")]
    [InlineData("42 (a (weird) name) S 1 42", 'S', "a (weird) name")]
    [InlineData("42 (x) t 1", 't', "x")]
    public void Stat_state_is_the_field_after_the_last_parenthesis(string stat, char state, string command)
    {
        ReplicaProcesses.ParseStat(stat).ShouldBe((state, command));
    }

    [Fact]
    public void Malformed_stat_is_no_state()
    {
        ReplicaProcesses.ParseStat("42 iperf3 T").ShouldBeNull();
        ReplicaProcesses.ParseStat("42 (iperf3)").ShouldBeNull();
    }

    [Fact]
    public void Stopped_lists_processes_in_state_T_or_t_and_skips_the_gone()
    {
        FakeProc(10, "10 (sup) S 1 10");
        FakeProc(11, "11 (iperf3) T 10 11");
        FakeProc(12, "12 (gdb target) t 10 12");
        FakeProc(13, "13 (worker) R 10 13");
        var stopped = ReplicaProcesses.Stopped([10, 11, 12, 13, 99, 11], _dir);
        stopped.Select(s => (s.Pid, s.State, s.Command)).ShouldBe([(11, 'T', "iperf3"), (12, 't', "gdb target")]);
    }

    [Fact]
    public void A_real_stopped_child_is_seen_and_a_continued_one_is_not()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            Signal(child.Id, "STOP");
            // The stop is asynchronous: read until /proc says so (a generous bound, no timing asserted).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (ReplicaProcesses.Stopped([child.Id]).Count == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            ReplicaProcesses.Stopped([child.Id]).ShouldHaveSingleItem().State.ShouldBe('T');
            Signal(child.Id, "CONT");
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (ReplicaProcesses.Stopped([child.Id]).Count > 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            ReplicaProcesses.Stopped([child.Id]).ShouldBeEmpty();
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false })!;
        kill.WaitForExit();
        kill.ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("cgroup.freeze", "1\n", true)]
    [InlineData("cgroup.freeze", "0\n", false)]
    [InlineData("freezer.state", "FROZEN\n", true)]
    [InlineData("freezer.state", "FREEZING\n", true)]
    [InlineData("freezer.state", "THAWED\n", false)]
    public void Freeze_files_of_v1_and_v2_are_read(string file, string content, bool frozen)
    {
        File.WriteAllText(Path.Combine(_dir, file), content);
        ReplicaProcesses.IsFrozenDirectory(_dir).ShouldBe(frozen);
    }

    [Fact]
    public void A_directory_without_freeze_files_is_not_frozen() => ReplicaProcesses.IsFrozenDirectory(_dir).ShouldBeFalse();

    [Fact]
    public void The_v1_freezer_directory_comes_from_the_mount_table()
    {
        var root = Path.Combine(_dir, "freezer");
        Directory.CreateDirectory(Path.Combine(root, "lightnfv", "abc"));
        var mounts = LightNfv.Host.Cgroups.MountInfo.Parse(
            $"30 25 0:26 / {root} rw,nosuid - cgroup cgroup rw,freezer\n31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
        ReplicaProcesses.V1FreezerDirectory("lightnfv/abc", mounts).ShouldBe(Path.Combine(root, "lightnfv", "abc"));
        ReplicaProcesses.V1FreezerDirectory("lightnfv/other", mounts).ShouldBeNull();
        ReplicaProcesses.V1FreezerDirectory("lightnfv/abc", LightNfv.Host.Cgroups.MountInfo.Parse("")).ShouldBeNull();
    }
}
