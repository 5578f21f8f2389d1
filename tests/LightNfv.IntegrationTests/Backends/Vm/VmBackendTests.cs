using System.Net;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Vm;

/// <summary>
/// Both VM backends with the real QEMU, on whatever accelerator the probe picks (TCG on this machine kind): boot,
/// TCP and iperf3 from the lab side, stop through QMP, and no qemu, tap or run directory left behind.
/// The first run builds the kernel (~5 min) and the Debian disk (~1 min) into the host cache.
/// </summary>
public sealed class VmBackendTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Yaml(string technology, string name, int memoryMiB) =>
        Descriptors.Image(technology, name, Descriptors.Iperf3App, memoryMiB: memoryMiB);

    private void Iperf3From(IPAddress address, bool reverse)
    {
        // The server re-listens between tests (and after the readiness probe's bare connect); on an emulated guest that
        // takes a moment, so retry a start the server refused or answered with an error.
        HostState.CommandResult run = new(1, "", "");
        for (var attempt = 0; attempt < 8; attempt++)
        {
            run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", address.ToString(), "-t", "1", "-J", .. reverse ? new[] { "-R" } : []],
                timeout: TimeSpan.FromSeconds(30));
            if (run.ExitCode == 0 && run.Stdout.Contains("bits_per_second", StringComparison.Ordinal))
            {
                break;
            }
            Output.WriteLine($"iperf3 attempt {attempt + 1}: exit {run.ExitCode}");
            Thread.Sleep(1000);
        }
        run.ExitCode.ShouldBe(0, run.Stdout + run.Stderr);
        run.Stdout.ShouldContain("bits_per_second");
    }

    [Theory]
    [InlineData(Technology.Tinyx, 64, 60)]
    [InlineData(Technology.StandardVm, 256, 240)]
    public async Task Vm_boots_answers_tcp_and_iperf3_stops_through_qmp_and_leaves_nothing(Technology technology, int memoryMiB, int bootSeconds)
    {
        RequireAvailable(technology);
        var record = await Lab.RunAsync(Yaml(technology.ToName(), "vm-" + technology.ToName(), memoryMiB));
        var address = IPAddress.Parse(record.Address!);
        var data = VmState.Of(record.AsBackendInstance());
        Output.WriteLine($"accel {data.Accel}, machine {data.Machine}, image {record.Facts.Image?.Bytes} bytes: {data.Boot}");
        data.Accel.ShouldBeOneOf("kvm", "tcg");
        var tap = record.Facts.HostLink.ShouldNotBeNull();
        HostState.LabLinks(Lab.LabName).ShouldContain(tap);

        Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(bootSeconds)).ShouldBeNull();
        Iperf3From(address, reverse: false);
        Iperf3From(address, reverse: true);

        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        var qemu = ProcessIdentity.From(view.Record.Facts.Process)!.Value;
        view.Stats!.MemoryBytes.ShouldBeGreaterThan(0UL);
        File.Exists(VmBackend.QmpPath(Lab.RunDirectory(record.Id))).ShouldBeTrue();
        using (var qmp = QmpClient.Connect(VmBackend.QmpPath(Lab.RunDirectory(record.Id)), TimeSpan.FromSeconds(5)))
        {
            qmp.Status().ShouldBe("running");
        }

        // Stop goes through QMP; QEMU's exit closes the last tap descriptor, so the tap goes with it.
        await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(2));
        Lab.Instances.Inspect(record.Id).Observation!.State.ShouldBe(ObservedState.Stopped);
        Poll.Until(() => HostState.IsGone(qemu), TimeSpan.FromSeconds(10)).ShouldBeTrue();
        HostState.LabLinks(Lab.LabName).ShouldNotContain(tap);
        File.ReadAllText(Lab.ConsoleLog(record.Id)).ShouldNotBeEmpty();

        await Lab.Instances.RemoveAsync(record.Id);
        Directory.Exists(Lab.RunDirectory(record.Id)).ShouldBeFalse();
        HostState.ProcessesMentioning(Lab.StateDirectory).ShouldBeEmpty();
    }

    [Fact]
    public async Task Tinyx_restarts_at_the_same_address_and_remove_kills_qemu()
    {
        RequireAvailable(Technology.Tinyx);
        var record = await Lab.RunAsync(Yaml("tinyx", "vm-again", 64));
        var address = IPAddress.Parse(record.Address!);
        Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(60)).ShouldBeNull();
        await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(1));
        await Lab.Instances.StartAsync(record.Id);
        Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(60)).ShouldBeNull();
        var qemu = ProcessIdentity.From(Lab.Instances.Inspect(record.Id).Record.Facts.Process)!.Value;
        // Least privilege (issue 17): the restarted QEMU too runs as the instance's uid, without capabilities, sandboxed.
        var status = File.ReadAllLines($"/proc/{qemu.Pid}/status").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        var uid = LightNfv.Backends.Shared.InstanceUser.UidOf(record.Id).ToString(System.Globalization.CultureInfo.InvariantCulture);
        status["Uid"].Split('\t').ShouldAllBe(u => u == uid);
        status["CapEff"].ShouldBe("0000000000000000");
        status["CapPrm"].ShouldBe("0000000000000000");
        status["NoNewPrivs"].ShouldBe("1");
        status["Seccomp"].ShouldBe("2");

        await Lab.Instances.RemoveAsync(record.Id);
        Poll.Until(() => HostState.IsGone(qemu), TimeSpan.FromSeconds(10)).ShouldBeTrue();
        HostState.LabLinks(Lab.LabName).ShouldNotContain(LightNfv.Backends.Shared.BackendContext.HostLinkName(record.Id));
        Directory.Exists(Lab.RunDirectory(record.Id)).ShouldBeFalse();
    }
}
