using System.Net;
using LightNfv.Core.Backends;

namespace LightNfv.Core.Tests.Backends;

public sealed class InstanceFactsTests
{
    [Fact]
    public void Facts_round_trip_through_their_json_with_the_process_as_pid_at_ticks()
    {
        var facts = new InstanceFacts
        {
            Process = new ProcessRef(1234, 98765),
            Namespace = "lab-0123456789ab",
            HostLink = "lnf0123456789ab",
            Address = IPAddress.Parse("10.71.0.2"),
            RunDirectory = "/s/instances/0123456789ab",
            Cgroup = "lnfv/0123456789ab",
            Image = new ImageFacts("sha256:ab", 9_700_000, 4_500_000),
        };
        var json = facts.ToJson();
        json.ShouldContain("\"process\":\"1234@98765\"");
        json.ShouldContain("\"address\":\"10.71.0.2\"");
        json.ShouldNotContain("logPath");
        InstanceFacts.FromJson(json).ShouldBe(facts);
        facts.LogPath.ShouldBe("/s/instances/0123456789ab/console.log");
    }

    [Fact]
    public void Empty_facts_write_nothing_and_read_back_empty()
    {
        InstanceFacts.None.ToJson().ShouldBe("{}");
        InstanceFacts.FromJson("{}").ShouldBe(InstanceFacts.None);
    }

    [Theory]
    [InlineData("42@7", 42, 7UL)]
    [InlineData("1@0", 1, 0UL)]
    public void A_process_reads_from_pid_at_ticks(string text, int pid, ulong ticks) =>
        ProcessRef.Parse(text).ShouldBe(new ProcessRef(pid, ticks));

    [Theory]
    [InlineData("777")]
    [InlineData("@7")]
    [InlineData("x@7")]
    [InlineData("-1@7")]
    [InlineData(null)]
    public void Anything_else_is_no_process(string? text) => ProcessRef.Parse(text).ShouldBeNull();
}
