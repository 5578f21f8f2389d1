using LightNfv.Core.Errors;
using LightNfv.Images.Rootfs;

namespace LightNfv.Images.Tests.Rootfs;

public sealed class VnfImagesTests
{
    [Fact]
    public void A_command_is_found_on_path_like_execvp()
    {
        var request = VnfImages.ForArgv(["iperf3", "-s", "-p", "5201"], ["/etc/services"]);

        request.Executables.ShouldBe(["/usr/bin/iperf3"]);
        request.ExtraFiles.ShouldBe(["/etc/services"]);
        request.Symlinks.ShouldBeEmpty();
    }

    [Fact]
    public void A_path_with_a_slash_is_taken_as_is()
    {
        VnfImages.ForArgv(["/usr/bin/iperf3"], []).Executables.ShouldBe(["/usr/bin/iperf3"]);
    }

    [Fact]
    public void A_non_executable_match_does_not_stop_the_search()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("first"));
        Directory.CreateDirectory(dir.Combine("second"));
        File.WriteAllText(dir.Combine("first/tool"), "not executable");
        File.WriteAllText(dir.Combine("second/tool"), "#!/bin/sh\n");
        File.SetUnixFileMode(dir.Combine("second/tool"), (UnixFileMode)0b111_101_101);

        VnfImages.ResolveProgram("tool", $"{dir.Combine("first")}:{dir.Combine("second")}").ShouldBe(dir.Combine("second/tool"));
    }

    [Fact]
    public void An_unknown_program_says_it_was_not_found_on_path()
    {
        var error = Should.Throw<LightNfvException>(() => VnfImages.ForArgv(["no-such-vnf-xyz"], []));

        error.Kind.ShouldBe(ErrorKind.Invalid);
        error.Message.ShouldStartWith("spec.app.command: 'no-such-vnf-xyz' was not found on this host's PATH");
    }

    [Fact]
    public void Relative_extra_files_and_empty_commands_are_rejected()
    {
        Should.Throw<LightNfvException>(() => VnfImages.ForArgv(["iperf3"], ["etc/x"])).Message.ShouldContain("spec.app.files[0]");
        Should.Throw<LightNfvException>(() => VnfImages.ForArgv([], [])).Message.ShouldContain("spec.app.command");
    }

    [Fact]
    public void Busybox_is_alone_but_gets_links_for_the_applets_its_argv_runs()
    {
        var request = VnfImages.ForArgv(["busybox", "nc", "-ll", "-p", "7", "-e", "cat"], []);

        request.Executables.ShouldBe(["/usr/bin/busybox"]);
        request.Symlinks.ShouldBe(new Dictionary<string, string>
        {
            ["/usr/bin/cat"] = "busybox",
            ["/usr/bin/nc"] = "busybox",
            ["/usr/bin/sh"] = "busybox",
        }, ignoreOrder: true);
    }

    [Fact]
    public void Builtins_map_to_their_argv()
    {
        VnfImages.ForBuiltin("iperf3-server").Executables.ShouldBe(["/usr/bin/iperf3"]);
        VnfImages.ForBuiltin("tcp-echo").Executables.ShouldBe(["/usr/bin/busybox"]);
        Should.Throw<LightNfvException>(() => VnfImages.ForBuiltin("nope")).Message.ShouldContain("iperf3-server");
    }

    [Fact]
    public async Task A_busybox_image_runs_applets_by_name_under_chroot()
    {
        using var cache = new TempDirectory();
        var image = new RootfsBuilder(cache.Path).Build(VnfImages.ForBuiltin("tcp-echo"));

        var (exitCode, stdout, stderr) = await Chroot.RunAsync(image.RootfsDirectory, "/usr/bin/sh", "-c", "echo echoed | cat");

        exitCode.ShouldBe(0, stderr);
        stdout.ShouldBe("echoed\n");
    }
}
