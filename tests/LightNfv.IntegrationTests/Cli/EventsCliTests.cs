using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Events;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// `lightnfv events`: the stored events read from the store without a daemon and through it with one (the same JSON),
/// filters, and -w following the daemon's stream (refused in one line without one).
/// </summary>
public sealed class EventsCliTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private string Socket => Path.Combine(Lab.StateDirectory, "lightnfv.sock");

    /// <summary>The lab's environment, with the socket named (so a LIGHTNFV_SOCKET of the caller's shell is not used).</summary>
    private Dictionary<string, string> CliEnv => new(Lab.CliEnvironment) { ["LIGHTNFV_SOCKET"] = Socket };

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var r = HostState.Run(Dotnet, [CliDll, .. args], CliEnv, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    [Fact]
    public async Task Events_print_the_same_with_and_without_the_daemon_and_w_follows_the_stream()
    {
        RequireRoot();
        Lab.Store.AddAlert(AlertKinds.InstanceFailed, "default", "web", "0123456789ab", "web: exited with 137", data: PlatformEvent.DataOf(new { exitCode = 137 }));
        Lab.Store.AddAlert(AlertKinds.QuotaReached, "default", "web", null, "web: quota of 4 replicas reached");

        var embedded = Lightnfv("events", "-o", "json", "--type", "instance.failed,quota.reached");
        embedded.ExitCode.ShouldBe(0, embedded.ToString());
        using (var doc = JsonDocument.Parse(embedded.Stdout))
        {
            var events = doc.RootElement.EnumerateArray().ToList();
            events.Select(e => e.GetProperty("notificationType").GetString()).ShouldBe(["instance.failed", "quota.reached"]);
            events[0].EnumerateObject().Select(p => p.Name).ShouldBe(["id", "notificationType", "timeStamp", "tenant", "vnf", "vnfInstanceId", "instance", "operation", "severity", "message", "data"]);
            events[0].GetProperty("data").GetProperty("exitCode").GetInt32().ShouldBe(137);
            events[0].GetProperty("severity").GetString().ShouldBe("warning");
        }
        var table = Lightnfv("events");
        table.Stdout.ShouldStartWith("TIME ");
        table.Stdout.ShouldContain("instance.failed");
        Lightnfv("events", "--since", "1h", "-o", "yaml").Stdout.ShouldContain("notificationType: quota.reached");
        JsonDocument.Parse(Lightnfv("events", "--type", "quota.reached", "-o", "json").Stdout).RootElement.GetArrayLength().ShouldBe(1);
        JsonDocument.Parse(Lightnfv("events", "--since", "2099-01-01T00:00:00Z", "-o", "json").Stdout).RootElement.GetArrayLength().ShouldBe(0);

        var watchAlone = Lightnfv("events", "-w");
        watchAlone.ExitCode.ShouldBe(6);
        watchAlone.Stderr.Trim().Split('\n').Length.ShouldBe(1);
        watchAlone.Stderr.ShouldContain("'lightnfv serve'");
        Lightnfv("events", "--type", "nope").ExitCode.ShouldBe(2);
        var badSince = Lightnfv("events", "--since", "yesterday");
        badSince.ExitCode.ShouldBe(2);
        badSince.Stderr.ShouldContain("--since");

        using var daemon = DaemonApi.StartDaemon(Lab);
        var through = Lightnfv("events", "-o", "json", "--type", "instance.failed,quota.reached");
        through.ExitCode.ShouldBe(0, through.ToString());
        through.Stdout.ShouldBe(embedded.Stdout, "the same JSON with and without the daemon");

        // -w: lists what is stored, then prints each new event as one JSON line until Ctrl-C.
        // Through env --default-signal=INT: a test run started in the background by a script (`.ci/run &`) inherits SIGINT
        // ignored, and .NET, like a shell, leaves an ignored SIGINT ignored, so Ctrl-C would reach nothing.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { "--default-signal=INT", Dotnet, CliDll, "events", "-w", "-o", "json", "--type", "quota.reached,operation.failed" })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in CliEnv)
        {
            psi.Environment[k] = v;
        }
        using var watch = Process.Start(psi)!;
        try
        {
            var stderr = watch.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var listed = JsonDocument.Parse(await watch.StandardOutput.ReadLineAsync(cts.Token) ?? "null").RootElement;
            listed.GetProperty("notificationType").GetString().ShouldBe("quota.reached");

            // An operation that fails at once (a program that does not exist) raises operation.failed through the daemon.
            using var http = LightNfv.Host.UnixSockets.UnixHttp.Create(Socket);
            await DaemonApi.Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Command("nosuch", ["/nonexistent/lightnfv-test-program"]));
            var op = await DaemonApi.Send(http, HttpMethod.Post, "api/v1/vnfs/nosuch/instantiate", body: new { replicas = 1 });
            var line = await watch.StandardOutput.ReadLineAsync(cts.Token);
            Output.WriteLine($"-w printed: {line}");
            var followed = JsonDocument.Parse(line!).RootElement;
            followed.GetProperty("notificationType").GetString().ShouldBe("operation.failed");
            followed.GetProperty("operation").GetString().ShouldBe(op.GetProperty("id").GetString());
            followed.GetProperty("vnf").GetString().ShouldBe("nosuch");

            Native.kill(watch.Id, 2).ShouldBe(0); // Ctrl-C
            watch.WaitForExit(TimeSpan.FromSeconds(20)).ShouldBeTrue("events -w ends on Ctrl-C");
            watch.ExitCode.ShouldBe(0, await stderr);
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill();
                watch.WaitForExit();
            }
        }
    }
}
