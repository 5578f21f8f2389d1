namespace LightNfv.Backends.Unikernel;

/// <summary>
/// The guest ELFs the build makes from guest/unikernel (gcc, freestanding) next to the assemblies: the VNF image for
/// each binding (hvt: the KVM monitor; spt: the lnfv-spt process tender), and variants that misbehave on purpose
/// (for tests of the failure paths).
/// </summary>
public static class GuestImages
{
    public const string GuestName = "lnfv-uk.elf", FaultName = "lnfv-uk-fault.elf";
    public const string SptGuestName = "lnfv-uk-spt.elf", SptFaultName = "lnfv-uk-spt-fault.elf";

    public static string Guest => Path.Combine(AppContext.BaseDirectory, GuestName);
    public static string Fault => Path.Combine(AppContext.BaseDirectory, FaultName);
    public static string SptGuest => Path.Combine(AppContext.BaseDirectory, SptGuestName);
    public static string SptFault => Path.Combine(AppContext.BaseDirectory, SptFaultName);

    /// <summary>The compiled-in application (abi.h APP_*) and its port, from a built-in VNF's command line.</summary>
    public static (ushort App, ushort Port)? AppFor(IReadOnlyList<string> argv)
    {
        if (argv.Count == 0)
        {
            return null;
        }
        var program = Path.GetFileName(argv[0]);
        ushort app = program switch
        {
            "iperf3" when argv.Contains("-s") => 1,
            "busybox" when argv.Count > 1 && argv[1] == "nc" && argv.Contains("-e") => 2,
            _ => 0,
        };
        if (app == 0)
        {
            return null;
        }
        var p = argv.ToList().IndexOf("-p");
        var port = app == 1 ? (ushort)5201 : (ushort)7;
        if (p >= 0 && p + 1 < argv.Count && !ushort.TryParse(argv[p + 1], System.Globalization.CultureInfo.InvariantCulture, out port))
        {
            return null;
        }
        return (app, port);
    }
}
