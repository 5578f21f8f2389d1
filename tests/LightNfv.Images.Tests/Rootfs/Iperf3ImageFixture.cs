using System.Diagnostics;
using LightNfv.Images.Rootfs;

namespace LightNfv.Images.Tests.Rootfs;

/// <summary>One cold build of the real iperf3 image, shared by the tests that inspect it.</summary>
public sealed class Iperf3ImageFixture : IDisposable
{
    private readonly TempDirectory _cache = new();

    public Iperf3ImageFixture()
    {
        Builder = new RootfsBuilder(_cache.Path);
        Request = new RootfsRequest(["/usr/bin/iperf3"], []);
        var clock = Stopwatch.StartNew();
        Image = Builder.Build(Request);
        ColdBuild = clock.Elapsed;
    }

    public RootfsBuilder Builder { get; }
    public RootfsRequest Request { get; }
    public RootfsImage Image { get; }
    public TimeSpan ColdBuild { get; }

    public void Dispose() => _cache.Dispose();
}
