using System.Text;
using LightNfv.Backends.Docker;
using LightNfv.Backends.Shared;
using LightNfv.Core.Configuration;

namespace LightNfv.Backends.Tests.Docker;

/// <summary>Where a private dockerd keeps its state, computed without starting anything.</summary>
public class DockerDaemonTests
{
    private static DockerDaemon For(string stateDirectory, string cgroupParent = "lightnfv") =>
        new(new BackendContext(new PlatformOptions { StateDirectory = stateDirectory, CgroupParent = cgroupParent, LabNamespace = "lnfv-unit", Subnet = "10.99.0.0/16" }));

    [Fact]
    public void Roots_live_under_the_state_directory()
    {
        using var daemon = For("/var/lib/lightnfv");
        daemon.Root.ShouldBe("/var/lib/lightnfv/docker");
        daemon.DataRoot.ShouldBe("/var/lib/lightnfv/docker/data");
        daemon.ExecRoot.ShouldBe("/var/lib/lightnfv/docker/exec");
        daemon.PrivateSocket.ShouldBe("/var/lib/lightnfv/docker/exec/docker.sock");
        daemon.DaemonCgroup.ShouldBe("lightnfv/dockerd");
        daemon.ContainersCgroup.ShouldBe("lightnfv/docker");
    }

    [Fact]
    public void A_long_state_directory_moves_the_exec_root_to_run_so_sockets_fit_in_sun_path()
    {
        var longState = "/srv/" + new string('x', 80) + "/lightnfv";
        using var daemon = For(longState);
        daemon.ExecRoot.ShouldMatch("^/run/lightnfv/docker-[0-9a-f]{8}$");
        daemon.DataRoot.ShouldStartWith(longState);
        // containerd's longest socket below the exec root must fit in 107 bytes plus NUL.
        Encoding.UTF8.GetByteCount(Path.Combine(daemon.ExecRoot, "containerd", "containerd.sock.ttrpc")).ShouldBeLessThan(108);
        // Stable for one state directory, distinct for another.
        using var same = For(longState);
        same.ExecRoot.ShouldBe(daemon.ExecRoot);
        using var other = For(longState + "2");
        other.ExecRoot.ShouldNotBe(daemon.ExecRoot);
    }
}
