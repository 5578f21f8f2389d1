namespace LightNfv.Bench.Reports;

/// <summary>
/// The draft's benchmark table (draft-natarajan-nfvrg-containers-for-nfv-03, section 4: Xeon E5-1630 v3, Linux 4.4.1,
/// iperf in every guest), and which of its rows each LightNFV technology is compared with.
/// </summary>
public static class DraftFigures
{
    public sealed record Row(string Name, double InstantiationMs, double TxGbps, double RxGbps, double RttMs, double ImageMb, double MemoryMb)
    {
        public double? Get(string metric) => metric switch
        {
            Metrics.InstantiationMs => InstantiationMs,
            // The draft timed the first answer only; its figure is the nearest it has for "the VNF accepts".
            Metrics.ReadyMs => InstantiationMs,
            Metrics.TxGbps => TxGbps,
            Metrics.RxGbps => RxGbps,
            Metrics.RttMs => RttMs,
            Metrics.ImageMb => ImageMb,
            Metrics.MemoryMb => MemoryMb,
            _ => null,
        };
    }

    public static readonly IReadOnlyList<Row> Rows =
    [
        new("standardvm.xen", 6500, 23.1, 24.5, 34, 913, 112),
        new("standardvm.kvm", 2988, 20.1, 38.9, 18, 913, 82),
        new("Container (Docker)", 1711, 45.1, 43.8, 4, 61, 3.8),
        new("tinyx.kvm", 1081, 21.5, 37.9, 19, 3.5, 30),
        new("tinyx.xen", 431, 28.6, 24.9, 15, 3.7, 31),
        new("unikernel.osv.kvm", 330, 47.9, 47.7, 9, 12, 52),
        new("unikernels.minios.xen", 31, 49.5, 32.6, 5, 2, 8),
    ];

    /// <summary>
    /// The draft row closest to a LightNFV technology (the draft had no bare namespaced process: Docker is nearest);
    /// null for rows that are not technologies (the floor).
    /// </summary>
    public static Row? For(string technology) => technology switch
    {
        "standardvm" => Rows[1],
        "tinyx" => Rows[3],
        "unikernel" => Rows[5],
        "process" or "container" or "docker" => Rows[2],
        _ => null,
    };
}
