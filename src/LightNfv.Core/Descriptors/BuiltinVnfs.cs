namespace LightNfv.Core.Descriptors;

/// <summary>Named network functions every backend knows how to run, so one descriptor fits all technologies.</summary>
public static class BuiltinVnfs
{
    public sealed record Builtin(string Name, string Summary, int DefaultPort, Func<int, IReadOnlyList<string>> Argv);

    public static IReadOnlyList<Builtin> All { get; } =
    [
        // --one-off is not used: a VNF serves many clients. --forceflush: its stdout is a log file, which C stdio
        // block-buffers, so without it `lightnfv logs` showed nothing until the VNF stopped.
        new("iperf3-server", "iperf3 server (the draft's workload)", 5201,
            port => ["iperf3", "-s", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--forceflush"]),
        new("tcp-echo", "busybox nc echo server", 7, port => ["busybox", "nc", "-ll", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "cat"]),
    ];

    public static Builtin? Find(string name) => All.FirstOrDefault(b => b.Name == name);
}
