using LightNfv.Backends.Oci.Spec;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Tests.Oci.Spec;

public sealed class OciBundleTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lightnfv-bundle-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Writes_only_config_json_and_returns_its_path()
    {
        var bundle = Path.Combine(_dir, "bundle");
        var path = OciBundle.Write(bundle, OciSpecFixtures.Iperf3());
        path.ShouldBe(Path.Combine(bundle, "config.json"));
        File.ReadAllText(path).ShouldBe(OciSpecBuilder.Build(OciSpecFixtures.Iperf3()));
        Directory.GetFileSystemEntries(bundle).ShouldBe([path]);
    }

    [Fact]
    public void Config_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var path = OciBundle.Write(_dir, OciSpecFixtures.Iperf3());
        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void Rewriting_replaces_the_config()
    {
        OciBundle.Write(_dir, OciSpecFixtures.Iperf3());
        var path = OciBundle.Write(_dir, OciSpecFixtures.Iperf3() with { Pids = 128 });
        File.ReadAllText(path).ShouldContain("\"limit\": 128");
        Directory.GetFileSystemEntries(_dir).Length.ShouldBe(1);
    }

    [Fact]
    public void Invalid_input_leaves_no_bundle()
    {
        Should.Throw<LightNfvException>(() => OciBundle.Write(_dir, OciSpecFixtures.Iperf3() with { Args = [] }));
        Directory.Exists(_dir).ShouldBeFalse();
    }

    [Fact]
    public void An_unwritable_location_is_a_host_error()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(file, "");
        var e = Should.Throw<LightNfvException>(() => OciBundle.Write(file, OciSpecFixtures.Iperf3()));
        e.Kind.ShouldBe(ErrorKind.Host);
        e.Message.ShouldContain(file);
    }
}
