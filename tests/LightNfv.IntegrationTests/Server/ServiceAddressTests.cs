using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LightNfv.Host.Namespaces;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Control.Service;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// A VNF's service address against a real `lightnfv serve` (issue 14): a 2-replica echo VNF answers on it; a rolling
/// update replaces both replicas while a client keeps connecting, and no attempt fails; the address stays the same and
/// the lab's table then names only the new replicas; terminate leaves no table and no address behind.
/// </summary>
public sealed class ServiceAddressTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Echo(string name, int memoryMiB) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            builtin: tcp-echo
          resources:
            memoryMiB: {memoryMiB}
            pids: 64
          network:
            ports: [7]
          health:
            probe: tcp:7
            interval: 500ms
            timeout: 300ms
            failureThreshold: 3
        """;

    /// <summary>Connect, send a line, read its echo, close: null when it all worked, else what failed.</summary>
    private string? EchoOnce(IPEndPoint service)
    {
        using var socket = Lab.Host.Lab.OpenTcpSocket();
        socket.ReceiveTimeout = 3000;
        try
        {
            if (!socket.ConnectAsync(service).Wait(TimeSpan.FromSeconds(3)))
            {
                return "connect timed out";
            }
            socket.Send("hi\n"u8);
            var buffer = new byte[3];
            var got = 0;
            while (got < 3 && socket.Receive(buffer, got, 3 - got, SocketFlags.None) is var n and > 0)
            {
                got += n;
            }
            return got == 3 ? null : $"echo: {got} of 3 bytes";
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return e.InnerException?.Message ?? e.Message;
        }
    }

    private string NftList(string what)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"--net={NetNamespace.PathOf(Lab.LabName)}", "nft", "list" }.Concat(what.Split(' ')))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return text;
    }

    [Fact]
    public async Task Service_address_answers_through_a_rolling_update_without_a_failed_connection_and_is_removed_with_the_vnf()
    {
        RequireRoot();
        Assert.SkipUnless(NftServiceTable.Available, "needs nft (Debian package nftables; ./install.sh installs it)");
        using var daemon = StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Echo("svc", 64));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/svc/instantiate", body: new { replicas = 2 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");

        JsonElement vnf = default;
        Poll.Until(() => (vnf = Send(http, HttpMethod.Get, "api/v1/vnfs/svc").GetAwaiter().GetResult())
            .TryGetProperty("serviceAddress", out var sa) && sa.ValueKind == JsonValueKind.Array, TimeSpan.FromSeconds(10)).ShouldBeTrue("a service address is allocated");
        var endpoint = IPEndPoint.Parse(vnf.GetProperty("serviceAddress")[0].GetString()!);
        endpoint.Port.ShouldBe(7);
        var before = (await Replicas(http, "svc")).Select(r => r.GetProperty("address").GetString()!).ToList();
        before.Count.ShouldBe(2);
        before.ShouldNotContain(endpoint.Address.ToString());
        Poll.Until(() => before.All(a => NftList("table ip lightnfv_svc").Contains(a, StringComparison.Ordinal)), TimeSpan.FromSeconds(10))
            .ShouldBeTrue($"both replicas are behind the address:\n{NftList("ruleset")}");
        EchoOnce(endpoint).ShouldBeNull();

        // A rolling update replaces both replicas while a client keeps connecting (bounded: 20 ms apart, 60 s at most).
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Echo("svc", 65));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failures = new List<string>();
        var attempts = 0;
        var load = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                attempts++;
                if (EchoOnce(endpoint) is { } failure)
                {
                    failures.Add($"#{attempts}: {failure}");
                }
                Thread.Sleep(20);
            }
        });
        op = await Send(http, HttpMethod.Post, "api/v1/vnfs/svc/update", body: new { });
        var updated = await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await load;
        updated.GetProperty("state").GetString().ShouldBe("completed");
        Output.WriteLine($"{attempts} connection attempts during the update, {failures.Count} failed");
        failures.ShouldBeEmpty();
        attempts.ShouldBeGreaterThan(10);

        var after = (await Replicas(http, "svc")).Select(r => r.GetProperty("address").GetString()!).ToList();
        after.Count.ShouldBe(2);
        var again = (await Send(http, HttpMethod.Get, "api/v1/vnfs/svc")).GetProperty("serviceAddress")[0].GetString();
        again.ShouldBe(endpoint.ToString(), "the address survives the replacement of every replica");
        var table = Poll.Read(() => NftList("table ip lightnfv_svc"), t => after.All(a => t.Contains(a, StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        after.ShouldAllBe(a => table.Contains(a, StringComparison.Ordinal));
        before.Except(after).ShouldAllBe(a => !table.Contains(a, StringComparison.Ordinal));
        EchoOnce(endpoint).ShouldBeNull();

        op = await Send(http, HttpMethod.Post, "api/v1/vnfs/svc/terminate");
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        Poll.Until(() => !NftList("tables").Contains("lightnfv_svc", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
            .ShouldBeTrue($"the table is gone with the VNF:\n{NftList("ruleset")}");
        File.Exists(Path.Combine(Lab.StateDirectory, ServiceAddressBook.FileName)).ShouldBeFalse();
        EchoOnce(endpoint).ShouldNotBeNull("nothing answers on a released address");
        daemon.Stop();
        Lab.ReapSupervisorZombies();
    }
}
