using LightNfv.Host.Cgroups;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Platform;

/// <summary>The host-wide registry of the one host setting LightNFV changes (cgroup favordynmods).</summary>
public sealed class HostTuningTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public async Task Down_forgets_a_user_whose_state_directory_is_gone_so_a_killed_platform_cannot_pin_the_setting()
    {
        RequireRoot();
        _ = Lab.Host.Lab; // opening the lab registers this platform
        var users = Path.Combine(CgroupTuning.RegistryDirectory, "users");
        Assert.SkipUnless(Directory.Exists(users), "host tuning is off (LIGHTNFV_HOST_TUNING=off) or not possible here");
        // What a platform killed before its `down` leaves: an entry naming a state directory that no longer exists.
        var stale = Path.Combine(users, "00" + Lab.Tag + "deadbeef");
        File.WriteAllText(stale, $"/tmp/lnfvt-gone-{Lab.Tag}\n");
        // And a live one: another platform whose state directory exists keeps its entry.
        var liveDir = Directory.CreateTempSubdirectory("lnfvt-live-");
        var live = Path.Combine(users, "01" + Lab.Tag + "deadbeef");
        File.WriteAllText(live, liveDir.FullName + "\n");
        try
        {
            await Lab.Instances.DownAsync();

            File.Exists(stale).ShouldBeFalse();
            File.Exists(live).ShouldBeTrue();
        }
        finally
        {
            File.Delete(live);
            liveDir.Delete();
            // The live stand-in kept the setting on; give it back as the last user out would.
            CgroupTuning.Revert("/nonexistent-lnfvt-" + Lab.Tag);
        }
    }
}
