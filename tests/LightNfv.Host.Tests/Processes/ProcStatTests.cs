using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Processes;

public sealed class ProcStatTests
{
    [Fact]
    public void Fields_restart_after_the_last_parenthesis_of_the_command()
    {
        var line = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        ProcStat.Parse(line).ShouldBe(new ProcStat('S', "a (b) c", 987654UL));
    }

    [Fact]
    public void A_line_cut_before_the_start_time_has_a_state_but_no_start()
    {
        ProcStat.Parse("42 (iperf3) T 1 42").ShouldBe(new ProcStat('T', "iperf3", null));
        ProcStat.Parse("42 iperf3 T").ShouldBeNull();
        ProcStat.Parse("42 (iperf3)").ShouldBeNull();
    }

    [Fact]
    public void This_process_reads_as_running_with_its_identity_s_start_time()
    {
        var stat = ProcStat.Read(Environment.ProcessId).ShouldNotBeNull();
        stat.StartTicks.ShouldBe(ProcessIdentity.Of(Environment.ProcessId)!.Value.StartTicks);
    }
}
