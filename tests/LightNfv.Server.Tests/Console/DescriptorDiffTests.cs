using LightNfv.Server.Console;

namespace LightNfv.Server.Tests.Console;

public sealed class DescriptorDiffTests
{
    [Fact]
    public void A_changed_line_reads_as_removed_then_added_and_the_rest_as_unchanged()
    {
        var lines = DescriptorDiff.Lines("name: web\nreplicas: 1\nport: 80\n", "name: web\nreplicas: 2\nport: 80\n");
        lines.Select(l => (l.Kind, l.Text)).ShouldBe(
        [
            ("same", "  name: web"),
            ("removed", "- replicas: 1"),
            ("added", "+ replicas: 2"),
            ("same", "  port: 80"),
        ]);
    }

    [Fact]
    public void The_first_version_is_all_added()
    {
        DescriptorDiff.Lines("", "a\nb\n").ShouldAllBe(l => l.Kind == "added");
    }
}
