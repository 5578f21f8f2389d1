namespace LightNfv.Core.Descriptors;

/// <summary>Named network functions every backend knows how to run, so one descriptor fits all technologies.</summary>
public static class BuiltinVnfs
{
    public sealed record Builtin(string Name, string Summary, int DefaultPort, Func<int, IReadOnlyList<string>> Argv);

    public static IReadOnlyList<Builtin> All { get; } =
    [
        // --one-off is not used: a VNF serves many clients. -1 keeps iperf3 from forking a daemon.
        new("iperf3-server", "iperf3 server (the draft's workload)", 5201, port => ["iperf3", "-s", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
        new("tcp-echo", "busybox nc echo server", 7, port => ["busybox", "nc", "-ll", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "cat"]),
    ];

    public static Builtin? Find(string name) => All.FirstOrDefault(b => b.Name == name);
}
