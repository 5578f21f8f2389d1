using System.Diagnostics;
using System.Formats.Tar;
using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Images.Paths;
using LightNfv.Images.Rootfs;
using LightNfv.Images.Tests.Archives;
using LightNfv.Images.Tests.Elf;

namespace LightNfv.Images.Tests.Rootfs;

public sealed class RootfsBuilderTests(Iperf3ImageFixture fixture, ITestOutputHelper output) : IClassFixture<Iperf3ImageFixture>
{
    private const long FiveMegabytes = 5 * 1000 * 1000;

    private RootfsImage Image => fixture.Image;

    [Fact]
    public void The_iperf3_image_holds_the_binary_its_libraries_the_loader_and_a_minimal_etc()
    {
        // Look up paths inside the image the way a chroot would, so absolute links do not leak to the host.
        var inside = new HostTree(Image.RootfsDirectory);
        foreach (var path in new[]
        {
            "/usr/bin/iperf3",
            "/lib/x86_64-linux-gnu/libiperf.so.0",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld-linux-x86-64.so.2",
            "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf",
        })
        {
            inside.Resolve(path).ShouldNotBeNull($"{path} should resolve inside the image");
        }
        Image.Files.ShouldContain("/usr/bin/iperf3");
        Image.Files.ShouldContain(f => f.EndsWith("/libiperf.so.0", StringComparison.Ordinal));
        Image.Files.ShouldContain(f => f.EndsWith("/libc.so.6", StringComparison.Ordinal));
        Image.Files.ShouldContain("/usr/lib64/ld-linux-x86-64.so.2");
        Image.Files.ShouldContain("/etc/passwd");

        var passwd = File.ReadAllText(Path.Combine(Image.RootfsDirectory, "etc/passwd"));
        passwd.ShouldContain("root:x:0:0:");
        passwd.ShouldContain("nobody:x:65534:");
        File.ReadAllText(Path.Combine(Image.RootfsDirectory, "etc/hosts")).ShouldContain("127.0.0.1 localhost");
        File.ReadAllText(Path.Combine(Image.RootfsDirectory, "etc/nsswitch.conf")).ShouldContain("hosts: files");
        output.WriteLine($"cold build {fixture.ColdBuild.TotalMilliseconds:F0} ms; tree {Image.TreeBytes} bytes; tar.gz {Image.TarGzBytes} bytes");
        output.WriteLine(string.Join('\n', Image.Files));
    }

    [Fact]
    public void Merged_usr_symlinks_are_reproduced_not_duplicated()
    {
        // Debian 12 is merged-usr: /lib and /lib64 are links to usr/*; the image must keep them as links.
        new FileInfo(Path.Combine(Image.RootfsDirectory, "lib")).LinkTarget.ShouldBe(new FileInfo("/lib").LinkTarget);
        new FileInfo(Path.Combine(Image.RootfsDirectory, "lib64")).LinkTarget.ShouldBe(new FileInfo("/lib64").LinkTarget);
        new FileInfo(Path.Combine(Image.RootfsDirectory, "usr/lib64/ld-linux-x86-64.so.2")).LinkTarget
            .ShouldBe(new FileInfo("/usr/lib64/ld-linux-x86-64.so.2").LinkTarget);
        Image.Files.Count(f => f.EndsWith("/libc.so.6", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public void Mount_points_exist_and_tmp_is_sticky()
    {
        foreach (var directory in new[] { "proc", "sys", "dev", "tmp", "etc", "run" })
        {
            Directory.Exists(Path.Combine(Image.RootfsDirectory, directory)).ShouldBeTrue(directory);
        }
        File.GetUnixFileMode(Path.Combine(Image.RootfsDirectory, "tmp")).ShouldBe(UnixFileMode.StickyBit | (UnixFileMode)0b111_111_111);
    }

    [Fact]
    public void Sizes_are_reported_and_the_compressed_image_is_under_five_megabytes()
    {
        Image.TarGzBytes.ShouldBe(new FileInfo(Image.TarGzPath).Length);
        Image.TarGzBytes.ShouldBeLessThan(FiveMegabytes);

        // Skipping links also keeps the walk out of /lib -> usr/lib, which would count libraries twice.
        var walk = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var regularFiles = Directory.EnumerateFiles(Image.RootfsDirectory, "*", walk).Sum(p => new FileInfo(p).Length);
        Image.TreeBytes.ShouldBe(regularFiles);

        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Image.ManifestPath));
        manifest.RootElement.GetProperty("digest").GetString().ShouldBe(Image.Digest);
        manifest.RootElement.GetProperty("treeBytes").GetInt64().ShouldBe(Image.TreeBytes);
        manifest.RootElement.GetProperty("tarGzBytes").GetInt64().ShouldBe(Image.TarGzBytes);
    }

    [Fact]
    public async Task The_rootfs_really_runs_iperf3_under_chroot()
    {
        var (exitCode, stdout, stderr) = await Chroot.RunAsync(Image.RootfsDirectory, "/usr/bin/iperf3", "--version");

        output.WriteLine(stdout + stderr);
        exitCode.ShouldBe(0, stderr);
        stdout.ShouldContain("iperf");
    }

    [Fact]
    public void The_tar_is_sorted_owned_by_root_with_mtime_zero_and_keeps_symlinks()
    {
        var entries = DeterministicTarGzTests.Read(Image.TarGzPath);

        entries.Select(e => e.Name).ShouldBe(entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        entries.ShouldAllBe(e => e.ModificationTime == DateTimeOffset.UnixEpoch && e.Uid == 0 && e.Gid == 0);
        var lib = entries.Single(e => e.Name == "lib");
        lib.EntryType.ShouldBe(TarEntryType.SymbolicLink);
        lib.LinkName.ShouldBe("usr/lib");
        entries.Single(e => e.Name == "usr/bin/iperf3").EntryType.ShouldBe(TarEntryType.RegularFile);
    }

    [Fact]
    public void Building_again_is_a_cache_hit_that_rewrites_nothing()
    {
        var manifestTime = File.GetLastWriteTimeUtc(Image.ManifestPath);
        var clock = Stopwatch.StartNew();

        var again = fixture.Builder.Build(fixture.Request);

        output.WriteLine($"cached build {clock.Elapsed.TotalMilliseconds:F1} ms (cold {fixture.ColdBuild.TotalMilliseconds:F0} ms)");
        again.Digest.ShouldBe(Image.Digest);
        again.RootfsDirectory.ShouldBe(Image.RootfsDirectory);
        again.Files.ShouldBe(Image.Files);
        File.GetLastWriteTimeUtc(Image.ManifestPath).ShouldBe(manifestTime);
    }

    [Fact]
    public void A_different_request_with_the_same_content_finds_the_image_by_digest()
    {
        var manifestTime = File.GetLastWriteTimeUtc(Image.ManifestPath);
        // Another request key (the executable listed twice) whose content, hence digest, is the same.
        var request = new RootfsRequest(["/usr/bin/iperf3", "/usr/bin/iperf3"], []);

        var same = new RootfsBuilder(fixture.Builder.CacheDirectory).Build(request);

        same.Digest.ShouldBe(Image.Digest);
        same.RootfsDirectory.ShouldBe(Image.RootfsDirectory);
        File.GetLastWriteTimeUtc(Image.ManifestPath).ShouldBe(manifestTime);
    }

    [Fact]
    public void A_fake_tree_is_imaged_with_its_own_links_and_nothing_from_the_host()
    {
        using var root = new TempDirectory();
        using var cache = new TempDirectory();
        Directory.CreateDirectory(root.Combine("usr/lib/x86_64-linux-gnu"));
        File.CreateSymbolicLink(root.Combine("lib"), "usr/lib");
        FakeElf.Library("ld.so").WriteTo(root.Combine("usr/lib/x86_64-linux-gnu/ld.so"));
        FakeElf.Library("libfoo.so.1").WriteTo(root.Combine("usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3"));
        File.CreateSymbolicLink(root.Combine("usr/lib/x86_64-linux-gnu/libfoo.so.1"), "libfoo.so.1.2.3");
        new FakeElf { Interpreter = "/lib/x86_64-linux-gnu/ld.so", Needed = ["libfoo.so.1"] }.WriteTo(root.Combine("usr/sbin/vnf"));
        Directory.CreateDirectory(root.Combine("etc"));
        File.WriteAllText(root.Combine("etc/passwd"), "vnf:x:1:1::/:/sbin/nologin\n");

        var image = new RootfsBuilder(cache.Path, root.Path).Build(new RootfsRequest(["/usr/sbin/vnf"], ["/etc/passwd"]));

        image.Files.ShouldBe([
            "/etc/group", "/etc/hosts", "/etc/nsswitch.conf", "/etc/passwd",
            "/lib",
            "/usr/lib/x86_64-linux-gnu/ld.so",
            "/usr/lib/x86_64-linux-gnu/libfoo.so.1",
            "/usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3",
            "/usr/sbin/vnf",
        ]);
        new FileInfo(Path.Combine(image.RootfsDirectory, "usr/lib/x86_64-linux-gnu/libfoo.so.1")).LinkTarget.ShouldBe("libfoo.so.1.2.3");
        // A declared file wins over the generated default.
        File.ReadAllText(Path.Combine(image.RootfsDirectory, "etc/passwd")).ShouldStartWith("vnf:");
    }

    [Fact]
    public void Two_caches_get_byte_identical_archives_and_the_same_digest()
    {
        using var other = new TempDirectory();

        var rebuilt = new RootfsBuilder(other.Path).Build(new RootfsRequest(["/usr/bin/iperf3"], []));

        rebuilt.Digest.ShouldBe(Image.Digest);
        rebuilt.RootfsDirectory.ShouldNotBe(Image.RootfsDirectory);
        File.ReadAllBytes(rebuilt.TarGzPath).ShouldBe(File.ReadAllBytes(Image.TarGzPath));
    }

    [Fact]
    public void A_changed_extra_file_gives_a_new_digest_even_through_the_request_key()
    {
        using var cache = new TempDirectory();
        using var host = new TempDirectory();
        var extra = host.Combine("vnf.conf");
        File.WriteAllText(extra, "port=5201\n");
        var builder = new RootfsBuilder(cache.Path);
        var request = new RootfsRequest(["/usr/bin/busybox"], [extra]);

        var first = builder.Build(request);
        File.WriteAllText(extra, "port=5202\n"); // Same size: only the mtime tells the key it is stale.
        File.SetLastWriteTimeUtc(extra, File.GetLastWriteTimeUtc(extra).AddSeconds(5));
        var second = builder.Build(request);

        second.Digest.ShouldNotBe(first.Digest);
        File.ReadAllText(Path.Combine(second.RootfsDirectory, extra.TrimStart('/'))).ShouldBe("port=5202\n");
        Directory.Exists(first.RootfsDirectory).ShouldBeTrue("older images stay until something prunes the cache");
    }

    [Fact]
    public void The_same_builder_rebuilds_an_image_removed_from_the_cache_since_it_last_saw_it()
    {
        using var cache = new TempDirectory();
        var builder = new RootfsBuilder(cache.Path);
        var request = new RootfsRequest(["/usr/bin/busybox"], []);
        var first = builder.Build(request);
        builder.Build(request).ShouldBe(first); // remembered

        Directory.Delete(first.RootfsDirectory, recursive: true);
        var again = builder.Build(request);

        again.Digest.ShouldBe(first.Digest);
        File.Exists(Path.Combine(again.RootfsDirectory, "usr/bin/busybox")).ShouldBeTrue("a remembered hit is checked against the disk");
    }

    [Fact]
    public void Concurrent_builders_of_the_same_image_agree_and_leave_no_temporaries()
    {
        using var cache = new TempDirectory();
        var request = new RootfsRequest(["/usr/bin/busybox"], []);

        var images = Enumerable.Range(0, 4).AsParallel()
            .Select(_ => new RootfsBuilder(cache.Path).Build(request))
            .ToList();

        images.Select(i => i.Digest).Distinct().Count().ShouldBe(1);
        images.Select(i => i.RootfsDirectory).Distinct().Count().ShouldBe(1);
        Directory.EnumerateFileSystemEntries(cache.Path, ".tmp-*").ShouldBeEmpty();
    }

    [Fact]
    public void Leftovers_of_a_crashed_builder_are_removed_but_live_ones_kept()
    {
        using var cache = new TempDirectory();
        // Above the kernel's pid_max, so no live process can own it.
        var dead = Path.Combine(cache.Path, ".tmp-99999999-abc");
        var live = Path.Combine(cache.Path, $".tmp-{Environment.ProcessId}-def");
        Directory.CreateDirectory(Path.Combine(dead, "rootfs"));
        Directory.CreateDirectory(live);

        new RootfsBuilder(cache.Path).Build(new RootfsRequest(["/usr/bin/busybox"], []));

        Directory.Exists(dead).ShouldBeFalse();
        Directory.Exists(live).ShouldBeTrue();
    }

    [Fact]
    public void Busybox_needs_nothing_but_itself_and_the_baseline()
    {
        using var cache = new TempDirectory();

        var image = new RootfsBuilder(cache.Path).Build(new RootfsRequest(["/usr/bin/busybox"], []));

        image.Files.ShouldBe(["/etc/group", "/etc/hosts", "/etc/nsswitch.conf", "/etc/passwd", "/usr/bin/busybox"]);
    }

    [Fact]
    public void Bad_inputs_are_reported_with_what_to_do()
    {
        using var cache = new TempDirectory();
        var builder = new RootfsBuilder(cache.Path);

        Should.Throw<LightNfvException>(() => builder.Build(new RootfsRequest(["usr/bin/iperf3"], [])))
            .Message.ShouldContain("is not an absolute path");
        Should.Throw<LightNfvException>(() => builder.Build(new RootfsRequest(["/usr/bin/no-such-vnf"], [])))
            .Kind.ShouldBe(ErrorKind.NotFound);
        Should.Throw<LightNfvException>(() => builder.Build(new RootfsRequest(["/usr/bin/busybox"], ["/etc"])))
            .Message.ShouldContain("is a directory");
        Should.Throw<LightNfvException>(() => builder.Build(new RootfsRequest(["/usr/bin/busybox"], ["/proc/cpuinfo"])))
            .Message.ShouldContain("kernel filesystem");
        Should.Throw<LightNfvException>(() => builder.Build(new RootfsRequest(["/etc/hostname"], [])))
            .Message.ShouldContain("is not a 64-bit little-endian ELF file");
    }
}
