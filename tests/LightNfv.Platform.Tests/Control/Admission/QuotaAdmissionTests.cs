using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Control.Admission;

namespace LightNfv.Platform.Tests.Control.Admission;

/// <summary>The quota policy alone: which limit a request crosses, and the one-line error naming limit, use and need.</summary>
public sealed class QuotaAdmissionTests
{
    private static readonly TenantUsage OneSmall = TenantUsage.Of(new ResourceSpec(1, 128, 128));

    [Fact]
    public void An_unlimited_tenant_is_admitted_whatever_it_uses()
    {
        QuotaAdmission.Check("t", TenantQuota.Unlimited, new TenantUsage(1000, 1000, 1 << 20, 1 << 20, 1000), OneSmall, "running 'x'").ShouldBeNull();
    }

    [Fact]
    public void Up_to_the_limit_is_admitted_and_one_past_it_is_refused()
    {
        var quota = new TenantQuota(Instances: 2);
        QuotaAdmission.Check("t", quota, TenantUsage.Of(new ResourceSpec(1, 128, 128), 1), OneSmall, "running 'x'").ShouldBeNull();
        var refusal = QuotaAdmission.Check("t", quota, TenantUsage.Of(new ResourceSpec(1, 128, 128), 2), OneSmall, "running 'x'");
        refusal.ShouldNotBeNull();
        refusal.Resource.ShouldBe(TenantResources.Instances);
        (refusal.Limit, refusal.Used, refusal.Needed).ShouldBe((2L, 2L, 1L));
    }

    [Fact]
    public void Each_resource_is_limited_and_the_error_names_it_with_limit_use_and_need()
    {
        var used = TenantUsage.Of(new ResourceSpec(2, 512, 256), 2); // 4 vCPUs, 1024 MiB, 512 pids
        var need = TenantUsage.Of(new ResourceSpec(2, 512, 256), 1);
        QuotaAdmission.Check("acme", new TenantQuota(Vcpus: 5), used, need, "x")!.Resource.ShouldBe(TenantResources.Vcpus);
        QuotaAdmission.Check("acme", new TenantQuota(Pids: 700), used, need, "x")!.Resource.ShouldBe(TenantResources.Pids);
        QuotaAdmission.Check("acme", new TenantQuota(Vnfs: 0), used, TenantUsage.None with { Vnfs = 1 }, "x")!.Resource.ShouldBe(TenantResources.Vnfs);

        var e = Should.Throw<QuotaExceededException>(() => QuotaAdmission.Admit("acme", new TenantQuota(MemoryMiB: 1200), used, need, "scaling VNF 'web' from 2 to 3 replicas"));
        e.Kind.ShouldBe(ErrorKind.Quota);
        e.Message.ShouldBe("quota: tenant 'acme' is limited to 1200 MiB of memory (maxMemoryMiB) and uses 1024; scaling VNF 'web' from 2 to 3 replicas needs 512 more; " +
            "raise it with 'lightnfv tenant set-quota acme --max-memory N' or free some first");
        e.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void A_request_that_needs_none_of_a_resource_passes_even_over_a_lowered_limit()
    {
        // A quota lowered below use stops growth only: a new descriptor version (no new VNF) still fits.
        QuotaAdmission.Check("t", new TenantQuota(Instances: 1, Vnfs: 1), new TenantUsage(5, 5, 640, 640, 3), TenantUsage.None, "x").ShouldBeNull();
    }

    [Fact]
    public void A_negative_limit_is_refused_naming_the_field()
    {
        Should.Throw<LightNfvException>(() => new TenantQuota(Pids: -1).Checked()).Message.ShouldStartWith("maxPids: -1 is negative");
    }
}
