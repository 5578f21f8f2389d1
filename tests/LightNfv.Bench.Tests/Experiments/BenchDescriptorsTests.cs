using LightNfv.Bench.Experiments;
using LightNfv.Core.Descriptors;

namespace LightNfv.Bench.Tests.Experiments;

public sealed class BenchDescriptorsTests
{
    [Fact]
    public void A_variant_lands_in_the_field_that_names_it()
    {
        var crun = BenchDescriptors.Iperf3(Technology.Container, "c", "crun");
        Assert.Equal("crun", crun.Spec.Runtime);
        Assert.Null(crun.Spec.Accel);

        var tender = BenchDescriptors.Iperf3(Technology.Unikernel, "u", "process", "accel");
        Assert.Equal("process", tender.Spec.Accel);
        Assert.Null(tender.Spec.Runtime);
    }
}
