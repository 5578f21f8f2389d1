using System.Net.Sockets;
using LightNfv.Bench;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Bench;

/// <summary>
/// Issue 12: a technology whose preparation fails is reported with its reason while the others are measured, and
/// image builds run in the host's namespace (a standard VM from a cold cache through the bench builds its Debian disk).
/// </summary>
public sealed class BenchSurvivalTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static BenchOptions Short(params Technology[] technologies) => ShortBench.Options(technologies);

    [Fact]
    public void A_technology_whose_image_build_fails_is_reported_and_the_others_are_measured()
    {
        RequireRoot();
        var tinyx = new FailingBackend(Technology.Tinyx, "tinyx image build failed: make exited 2 (a test's stand-in)");
        Lab.Registry.Register(tinyx);
        var runner = new BenchRunner(Lab.Instances, Short(Technology.Process, Technology.Tinyx));
        var lines = new List<string>();
        runner.Progress += lines.Add;
        var report = runner.Run();
        foreach (var line in lines)
        {
            Output.WriteLine(line);
        }

        // Tried once, in preparation, and never again.
        tinyx.Creates.ShouldBe(1);
        var failed = report.Unavailable.ShouldHaveSingleItem();
        failed.Technology.ShouldBe("tinyx");
        failed.FailedIn.ShouldBe("preparation");
        failed.Reason.ShouldContain("make exited 2");
        report.Results.ShouldNotContain(r => r.Technology == "tinyx");
        report.Results.Single(r => r.Technology == "process" && r.Variant == "cold" && r.Metric == Metrics.InstantiationMs).Runs.ShouldBe(2);
        report.Results.ShouldContain(r => r.Technology == "process" && r.Metric == Metrics.TxGbps);

        BenchOutcome.ExitCode(report).ShouldBe(0);
        BenchOutcome.Summary(report)!.ShouldContain("failed: tinyx in preparation: tinyx image build failed");
        var dir = Path.Combine(Lab.StateDirectory, "bench-out");
        ReportWriter.WriteAll(report, dir);
        File.ReadAllText(Path.Combine(dir, "results.md")).ShouldContain("| tinyx | – | tinyx.kvm | failed in preparation: tinyx image build failed: make exited 2");
        File.ReadAllText(Path.Combine(dir, "results.svg")).ShouldContain("tinyx: failed in preparation");

        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
    }

    [Fact]
    public void Nothing_measurable_exits_non_zero_with_the_reasons()
    {
        RequireRoot();
        Lab.Registry.Register(new FailingBackend(Technology.Tinyx, "stand-in failure"));
        var report = new BenchRunner(Lab.Instances, Short(Technology.Tinyx)).Run();
        report.Unavailable.ShouldHaveSingleItem().FailedIn.ShouldBe("preparation");
        BenchOutcome.ExitCode(report).ShouldNotBe(0);
        BenchOutcome.Summary(report)!.ShouldContain("nothing could be measured: tinyx failed in preparation: stand-in failure");
    }

    /// <summary>
    /// The acceptance check: a Debian mirror nobody answers on and a cold cache; the bench measures the process backend,
    /// exits 0 and reports the standard VM's debootstrap error (after its bounded retries).
    /// </summary>
    [Fact]
    public void Cli_bench_with_an_unreachable_mirror_reports_the_debootstrap_error_and_exits_0()
    {
        RequireAvailable(Technology.StandardVm);
        using var cache = new TempCache();
        var result = Bench(cache.Path, new Dictionary<string, string> { ["LIGHTNFV_DEBIAN_MIRROR"] = "http://127.0.0.1:9/debian" },
            TimeSpan.FromMinutes(5), "--tech", "process,standardvm", "--runs", "2");
        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stderr.ShouldContain("failed: standardvm in preparation: debootstrap failed");
        result.Stderr.ShouldContain("try 1/3 failed");
        var md = File.ReadAllText(Path.Combine(cache.Out, "results.md"));
        md.ShouldContain("| process | cold |");
        md.ShouldContain("| standardvm | – | standardvm.kvm | failed in preparation: debootstrap failed");
        md.ShouldContain("127.0.0.1:9");
    }

    /// <summary>
    /// Issue 12's first failure: the bench built the Debian disk from a thread in the lab, where debootstrap had no
    /// route to the mirror. From a cold cache, through the CLI's bench, the disk now builds and the VM is measured.
    /// </summary>
    [Fact]
    public void Cli_bench_builds_the_standard_vm_disk_from_a_cold_cache()
    {
        RequireAvailable(Technology.StandardVm);
        var mirror = Environment.GetEnvironmentVariable("LIGHTNFV_DEBIAN_MIRROR") is { Length: > 0 } m ? new Uri(m) : new Uri("http://deb.debian.org/debian");
        Assert.SkipUnless(Reachable(mirror), $"the Debian mirror {mirror} is not reachable from this host (set LIGHTNFV_DEBIAN_MIRROR to one that is)");
        using var cache = new TempCache();
        var result = Bench(cache.Path, new Dictionary<string, string>(), TimeSpan.FromMinutes(15), "--tech", "standardvm", "--runs", "1");
        result.ExitCode.ShouldBe(0, result.ToString());
        Directory.EnumerateFiles(Path.Combine(cache.Path, "standardvm"), "disk.img", SearchOption.AllDirectories).ShouldHaveSingleItem();
        var report = ReportWriter.ReadJson(File.ReadAllText(Path.Combine(cache.Out, "results.json")));
        report.Unavailable.ShouldBeEmpty();
        report.Results.Single(r => r.Technology == "standardvm" && r.Metric == Metrics.InstantiationMs).Runs.ShouldBe(1);
    }

    private HostState.CommandResult Bench(string cacheDirectory, IReadOnlyDictionary<string, string> extra, TimeSpan timeout, params string[] args)
    {
        var env = new Dictionary<string, string>(Lab.CliEnvironment) { ["LIGHTNFV_CACHE_DIR"] = cacheDirectory };
        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        string[] argv = [Path.Combine(AppContext.BaseDirectory, "lightnfv.dll"), "bench", "--quick", "--out", Path.Combine(cacheDirectory, "out"), .. args];
        var r = HostState.Run(dotnet, argv, env, timeout);
        Output.WriteLine($"$ lightnfv {string.Join(' ', argv.Skip(1))}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private static bool Reachable(Uri mirror)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(mirror.Host, mirror.Port).Wait(TimeSpan.FromSeconds(5)) && client.Connected;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return false;
        }
    }

    /// <summary>A cold LIGHTNFV_CACHE_DIR of the test's own, removed afterwards (a Debian disk is ~300 MB).</summary>
    private sealed class TempCache : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("lnfvt-cache-").FullName;
        public string Out => System.IO.Path.Combine(Path, "out");

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    /// <summary>A backend this host can run by its probe, whose every create fails the way an image build can.</summary>
    private sealed class FailingBackend(Technology technology, string error) : IBackend
    {
        public int Creates { get; private set; }
        public Technology Technology => technology;
        public BackendProbe Probe() => BackendProbe.Ok();

        public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
        {
            Creates++;
            throw new LightNfvException(ErrorKind.Host, error);
        }

        public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken) => throw new InvalidOperationException("never created");
        public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken) => Task.FromResult(instance);
        public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken) => Task.CompletedTask;
        public InstanceObservation Inspect(BackendInstance instance) => new(ObservedState.Missing, null, null, [], null);
        public InstanceStats Stats(BackendInstance instance) => new(DateTimeOffset.UtcNow, 0, 0, null, 0, 0, 0, 0, 0);
    }
}
