using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>
/// A private LightNFV platform on the real host: its own lab namespace (lnfvt-&lt;6 hex&gt;), state directory, cgroup
/// parent (lightnfv-test-&lt;6 hex&gt;) and subnet, so it never touches another lab or instance. Dispose runs `down`,
/// then checks that nothing of it is left on the host (netns, cgroups, processes), cleans up what is, and fails if
/// anything had to be cleaned.
/// </summary>
public sealed class LabFixture : IDisposable
{
    private readonly ITestOutputHelper? _output;
    private bool _disposed;

    public LabFixture(ITestOutputHelper? output = null)
    {
        _output = output;
        // Supervisors of spawned VNFs are re-parented to us and reaped by the backend, not left as zombies under pid 1.
        ChildReaper.EnableSubreaper();
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Tag = tag;
        LabName = $"lnfvt-{tag}";
        CgroupParent = $"lightnfv-test-{tag}";
        SubnetOctet = RandomNumberGenerator.GetInt32(100, 251);
        Subnet = $"10.{SubnetOctet}.0.0/16";
        StateDirectory = Path.Combine(Path.GetTempPath(), $"lnfvt-state-{tag}");
        Options = new PlatformOptions
        {
            StateDirectory = StateDirectory,
            LabNamespace = LabName,
            Subnet = Subnet,
            CgroupParent = CgroupParent,
        };
        // The same composition root as the CLI and the daemon.
        Services = PlatformServices.Open(Options);
    }

    public PlatformServices Services { get; }

    public string Tag { get; }
    public string LabName { get; }
    public string CgroupParent { get; }
    public int SubnetOctet { get; }
    public string Subnet { get; }
    public string StateDirectory { get; }
    public PlatformOptions Options { get; }
    public BackendContext Host => Services.Context;
    public BackendRegistry Registry => Services.Backends;
    public PlatformStore Store => Services.Store;
    public InstanceService Instances => Services.Instances;

    /// <summary>An address of this lab's subnet, e.g. Address(50) = 10.x.0.50.</summary>
    public IPAddress Address(int lastOctet) => IPAddress.Parse($"10.{SubnetOctet}.0.{lastOctet}");

    /// <summary>The environment that points the `lightnfv` CLI at this platform.</summary>
    public IReadOnlyDictionary<string, string> CliEnvironment => new Dictionary<string, string>
    {
        ["LIGHTNFV_STATE_DIR"] = StateDirectory,
        ["LIGHTNFV_LAB"] = LabName,
        ["LIGHTNFV_SUBNET"] = Subnet,
        ["LIGHTNFV_CGROUP"] = CgroupParent,
        // The lab's own socket (where DaemonApi looks), whatever LIGHTNFV_SOCKET the shell running the tests exports.
        ["LIGHTNFV_SOCKET"] = Path.Combine(StateDirectory, "lightnfv.sock"),
    };

    public string InstanceNamespace(string id) => Host.InstanceNamespace(id);
    public string CgroupPath(string id) => Host.CgroupPath(id);
    public string RunDirectory(string id) => Host.RunDirectory(id);
    public string ConsoleLog(string id) => LightNfv.Core.Backends.InstanceSpec.LogPathIn(RunDirectory(id));

    /// <summary>
    /// A file that exists but cannot be executed (mode 0644), so a spawn passes the PATH check and fails at exec.
    /// (Not /etc/hostname: on some hosts, this machine kind included, it is mode 0755.)
    /// </summary>
    public string NonExecutableFile()
    {
        Directory.CreateDirectory(StateDirectory);
        var path = Path.Combine(StateDirectory, "not-a-program");
        File.WriteAllText(path, "#!/bin/sh\necho this must never run\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        return path;
    }

    public Task<InstanceRecord> RunAsync(string yaml) => Instances.RunAsync(DescriptorParser.Parse(yaml));

    /// <summary>Waits until something answers TCP on address:port, probed from inside the lab namespace.</summary>
    public bool WaitForTcp(IPAddress address, int port, TimeSpan? timeout = null) =>
        TcpReadinessProbe.WaitForAnswer(Host.Lab, address, port, System.Diagnostics.Stopwatch.GetTimestamp(), timeout ?? TimeSpan.FromSeconds(10)).Ready;

    /// <summary>
    /// One full TCP connect with a managed socket opened inside the lab namespace; retried until it succeeds or
    /// the timeout passes (the VNF may still be starting). Returns null on success, else the last error.
    /// </summary>
    public string? TcpConnect(IPAddress address, int port, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = ConnectOnce(address, port);
            if (last is null)
            {
                return null;
            }
            Thread.Sleep(50);
        }
        return last ?? "timed out";
    }

    private string? ConnectOnce(IPAddress address, int port)
    {
        // Opened in the lab's network namespace; used from this thread, which stays home.
        using var socket = Host.Lab.OpenTcpSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).AsTask().GetAwaiter().GetResult();
            return socket.Connected ? null : "not connected";
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return e.Message;
        }
    }

    /// <summary>Problems found (and cleaned) by <see cref="Dispose"/>: leftovers of the platform on the host.</summary>
    public IReadOnlyList<string> Leftovers() => FindLeftovers(clean: false);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        var problems = new List<string>();
        try
        {
            var removed = Instances.DownAsync().GetAwaiter().GetResult();
            _output?.WriteLine($"down: {(removed.Count == 0 ? "nothing to remove" : string.Join(", ", removed))}");
        }
        catch (Exception e)
        {
            problems.Add($"DownAsync failed: {e}");
        }
        Services.Dispose();

        // Supervisors of instances the CLI started are re-parented to this process (the nearest subreaper), and the
        // CLI cannot reap them: do it here so they do not pile up as zombies.
        ReapSupervisorZombies();

        problems.AddRange(FindLeftovers(clean: true));
        problems.AddRange(HostNetwork.ThreadsAway());
        try
        {
            if (Directory.Exists(StateDirectory))
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"state directory {StateDirectory} could not be removed: {e.Message}");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"lab {LabName} left things behind after down (cleaned up now):\n  " + string.Join("\n  ", problems));
        }
    }

    /// <summary>Reaps zombie lnfv-spawn supervisors that are our children; returns how many.</summary>
    public int ReapSupervisorZombies()
    {
        var n = 0;
        foreach (var z in HostState.ZombieChildren(NamespacedSpawner.HelperName))
        {
            if (Native.TryReap(z.Pid))
            {
                n++;
            }
        }
        return n;
    }

    private List<string> FindLeftovers(bool clean)
    {
        var problems = new List<string>();

        // Processes first: they pin namespaces and cgroups. Supervisors name the state directory in their argv.
        foreach (var (pid, cmdline) in HostState.ProcessesMentioning(StateDirectory))
        {
            problems.Add($"process {pid} still runs: {cmdline}");
            if (clean)
            {
                Native.kill(pid, Native.SIGKILL);
            }
        }

        // A guest tender is our child (spawned directly): one not reaped after its instance went is a zombie here.
        foreach (var z in HostState.ZombieChildren(LightNfv.Host.Spt.SptTender.ExecutableName))
        {
            problems.Add($"zombie {z.Comm} {z.Pid} was never reaped");
            if (clean)
            {
                Native.TryReap(z.Pid);
            }
        }

        foreach (var dir in HostState.CgroupDirectories(CgroupParent))
        {
            problems.Add($"cgroup directory {dir} remains");
            if (clean)
            {
                RemoveCgroupTree(dir);
            }
        }

        var namespaces = NetNamespace.List(LabName);
        if (namespaces.Count > 0)
        {
            problems.Add($"network namespaces remain: {string.Join(", ", namespaces)}");
            if (clean)
            {
                try
                {
                    LabNetwork.Destroy(LabName);
                }
                catch (Exception e)
                {
                    problems.Add($"could not remove them: {e.Message}");
                }
            }
        }
        return problems;
    }

    private static void RemoveCgroupTree(string dir)
    {
        foreach (var child in Directory.EnumerateDirectories(dir))
        {
            RemoveCgroupTree(child);
        }
        var procs = Path.Combine(dir, "cgroup.procs");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (File.Exists(procs))
            {
                foreach (var line in File.ReadAllLines(procs).Where(l => l.Length > 0))
                {
                    Native.kill(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture), Native.SIGKILL);
                }
            }
            try
            {
                Directory.Delete(dir);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }
    }
}
